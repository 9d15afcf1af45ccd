"""Invoices: one per order, numbered, idempotent. Pure: no AWS, no I/O."""

from __future__ import annotations

import time
from typing import Any


class InvalidInvoiceRequest(ValueError):
    """The request cannot become an invoice."""


class InjectedFailure(RuntimeError):
    """The failure the demo injects (the FAILURE_MODE parameter) to show who retries."""


def invoice_for(order: Any, now: float | None = None) -> dict[str, Any]:
    if not isinstance(order, dict) or not isinstance(order.get("id"), str):
        raise InvalidInvoiceRequest("an invoice needs the order, with its id")
    if not isinstance(order.get("total"), str) or not isinstance(order.get("customer"), str):
        raise InvalidInvoiceRequest("the order needs customer and total")
    return {
        "orderId": order["id"],
        "invoiceId": f"INV-{order['id'][:8].upper()}",
        "customer": order["customer"],
        "amount": order["total"],
        "issuedAt": int((now if now is not None else time.time()) * 1000),
    }


def should_fail(mode: str, attempt: int) -> bool:
    """Failure injection: 'none', 'always', or 'flaky:N' (the first N attempts fail)."""
    if mode == "always":
        return True
    if mode.startswith("flaky:"):
        try:
            return attempt <= int(mode.split(":", 1)[1])
        except ValueError:
            return False
    return False


DOCUMENT_PREFIX = "invoices/"
DOCUMENT_SUFFIX = ".txt"


def document_key(order_id: str) -> str:
    """Where an invoice's rendered document lives in the documents bucket."""
    return f"{DOCUMENT_PREFIX}{order_id}{DOCUMENT_SUFFIX}"


def order_of_document(key: str) -> str | None:
    """The order a document key belongs to, or None for any other object."""
    if not (key.startswith(DOCUMENT_PREFIX) and key.endswith(DOCUMENT_SUFFIX)):
        return None
    order_id = key[len(DOCUMENT_PREFIX) : -len(DOCUMENT_SUFFIX)]
    return order_id or None


def render(invoice: dict[str, Any]) -> str:
    """The invoice as the customer receives it (plain text)."""
    issued = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(int(invoice["issuedAt"]) / 1000))
    return (
        f"INVOICE {invoice['invoiceId']}\n"
        f"Order:    {invoice['orderId']}\n"
        f"Customer: {invoice['customer']}\n"
        f"Issued:   {issued}\n"
        f"Amount:   {invoice['amount']}\n"
    )
