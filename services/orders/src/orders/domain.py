"""Orders: what a valid order is, and its life cycle. Pure: no AWS, no I/O."""

from __future__ import annotations

import re
import time
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

SKU = re.compile(r"^[A-Z0-9-]{1,32}$")
MAX_ITEMS = 50
# PENDING (sync, invoicing now) -> INVOICED | FAILED; ACCEPTED (async) -> INVOICED;
# PROCESSING (the saga) -> [AWAITING_APPROVAL] -> CHARGED -> COMPLETED, or -> [REFUNDED] -> FAILED
STATUSES = (
    "PENDING",
    "ACCEPTED",
    "INVOICED",
    "FAILED",
    "PROCESSING",
    "AWAITING_APPROVAL",
    "CHARGED",
    "REFUNDED",
    "COMPLETED",
)


class InvalidOrder(ValueError):
    """The request does not describe a valid order; the message says why."""


def parse_order(body: Any, *, status: str, now: float | None = None) -> dict[str, Any]:
    if not isinstance(body, dict) or set(body) - {"customer", "items"}:
        raise InvalidOrder("the body must be an object with customer and items")
    customer = body.get("customer")
    if not isinstance(customer, str) or not 1 <= len(customer.strip()) <= 100:
        raise InvalidOrder("customer is required (1-100 characters)")
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidOrder(f"items must be a list of 1-{MAX_ITEMS} lines")
    lines = [_line(i, item) for i, item in enumerate(items)]
    total = sum((Decimal(line["price"]) * line["qty"] for line in lines), Decimal("0"))
    return {
        "id": str(uuid.uuid4()),
        "customer": customer.strip(),
        "items": lines,
        "total": str(total.quantize(Decimal("0.01"))),
        "status": status,
        "createdAt": int((now if now is not None else time.time()) * 1000),
    }


def _line(index: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or set(item) != {"sku", "qty", "price"}:
        raise InvalidOrder(f"items[{index}] needs exactly sku, qty and price")
    if not isinstance(item["sku"], str) or not SKU.match(item["sku"]):
        raise InvalidOrder(f"items[{index}].sku must be 1-32 of A-Z, 0-9 and '-'")
    qty = item["qty"]
    if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= 1000:
        raise InvalidOrder(f"items[{index}].qty must be a whole number from 1 to 1000")
    try:
        price = Decimal(str(item["price"]))
    except InvalidOperation:
        raise InvalidOrder(f"items[{index}].price must be a number") from None
    if not price.is_finite() or price <= 0 or int(price.as_tuple().exponent) < -2:
        raise InvalidOrder(f"items[{index}].price must be positive with at most 2 decimals")
    return {"sku": item["sku"], "qty": qty, "price": str(price)}
