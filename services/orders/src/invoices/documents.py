"""Invoice documents in S3: rendered when an invoice is issued; the upload's S3 event
(the RecordInvoiceDocument function) records the document on the invoice."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError

from invoices.domain import document_key, render

_s3: Any = None


def _client() -> Any:
    global _s3
    if _s3 is None:
        _s3 = boto3.client("s3")
    return _s3


def publish(invoice: dict[str, Any]) -> str:
    """Render the invoice to the documents bucket (unless it is there); its key."""
    bucket = os.environ["INVOICE_DOCUMENTS_BUCKET"]
    key = document_key(invoice["orderId"])
    try:
        _client().head_object(Bucket=bucket, Key=key)
        return key  # a retry after the upload: the document exists
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchKey"):
            raise
    _client().put_object(
        Bucket=bucket,
        Key=key,
        Body=render(invoice).encode(),
        ContentType="text/plain; charset=utf-8",
        Metadata={"invoice-id": invoice["invoiceId"]},
    )
    return key
