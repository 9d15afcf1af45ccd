"""The order saga's rules: stock, payment, approval. Pure: no AWS, no I/O.

The saga (statemachines/order_saga.asl.yaml) reserves stock, asks a person to approve a
large order, charges, and invoices; a step that fails undoes the ones before it
(refund, then release the stock), in reverse order.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

INITIAL_STOCK = 100  # what a SKU has before its first reservation (a demo warehouse)
APPROVAL_FROM = Decimal("1000.00")  # orders of this total or more wait for a person
CARD_LIMIT = Decimal("5000.00")  # a charge above this is declined


class OutOfStock(RuntimeError):
    """A line asks for more than the warehouse has: nothing to undo yet."""


class PaymentDeclined(RuntimeError):
    """The charge was refused: the stock reserved before it is released."""


def amount(order: dict[str, Any]) -> float:
    """The total as a number (Choice rules compare numbers, the order keeps a string)."""
    return float(Decimal(order["total"]))


def needs_approval(order: dict[str, Any]) -> bool:
    return Decimal(order["total"]) >= APPROVAL_FROM


def check_charge(order: dict[str, Any]) -> None:
    if Decimal(order["total"]) > CARD_LIMIT:
        raise PaymentDeclined(f"a charge of {order['total']} is over the card's limit")


def reservations(order: dict[str, Any]) -> list[tuple[str, int]]:
    """(sku, quantity) to reserve, one per SKU (lines of the same SKU added up)."""
    wanted: dict[str, int] = {}
    for line in order["items"]:
        wanted[line["sku"]] = wanted.get(line["sku"], 0) + int(line["qty"])
    return sorted(wanted.items())
