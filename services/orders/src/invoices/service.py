"""Invoicing, shared by the API (sync) and the queue worker (async)."""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from invoices import documents
from invoices.domain import InjectedFailure, invoice_for, should_fail
from invoices.store import InvoiceStore

logger = Logger(service="invoices")
_store: InvoiceStore | None = None


def store() -> InvoiceStore:
    global _store
    if _store is None:
        _store = InvoiceStore()
    return _store


def failure_mode() -> str:
    """Read on every call so tests and demos can switch failures on and off live."""
    name = os.environ.get("FAILURE_MODE_PARAMETER")
    if not name:
        return "none"
    return str(boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])


def invoice(order: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Create the order's invoice and its document (idempotent); raises InjectedFailure
    when told to. The invoice is stored first, so the document's upload event finds it."""
    draft = invoice_for(order)
    existing = store().get(draft["orderId"])
    if existing is not None:
        if os.environ.get("INVOICE_DOCUMENTS_BUCKET"):
            documents.publish(existing)  # a retry after a failed upload renders it now
        return existing, False
    attempt = store().count_attempt(draft["orderId"])
    if should_fail(failure_mode(), attempt):
        logger.warning("injected failure", extra={"order_id": draft["orderId"], "attempt": attempt})
        raise InjectedFailure(f"invoicing is failing (attempt {attempt})")
    created, is_new = store().create(draft)
    if os.environ.get("INVOICE_DOCUMENTS_BUCKET"):
        documents.publish(created)
    return created, is_new
