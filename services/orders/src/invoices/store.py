"""The invoices table (the invoices service's own data): one invoice per order."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.exceptions import ClientError


class InvoiceStore:
    def __init__(self, table: str | None = None) -> None:
        self.table = boto3.resource("dynamodb").Table(table or os.environ["INVOICES_TABLE"])

    def create(self, invoice: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Store the invoice unless the order has one; (invoice, created)."""
        try:
            self.table.put_item(Item=invoice, ConditionExpression="attribute_not_exists(orderId)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = self.get(invoice["orderId"])
            assert existing is not None
            return existing, False
        return invoice, True

    def get(self, order_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"orderId": order_id}, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def record_document(self, order_id: str, document: dict[str, Any]) -> bool:
        """Note the invoice's rendered document; False when there is no such invoice."""
        try:
            self.table.update_item(
                Key={"orderId": order_id},
                UpdateExpression="SET document = :d",
                ConditionExpression="attribute_exists(invoiceId)",
                ExpressionAttributeValues={":d": document},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def count_attempt(self, order_id: str) -> int:
        """Attempts to invoice this order so far (for failure injection), this one included."""
        result = self.table.update_item(
            Key={"orderId": f"attempts#{order_id}"},
            UpdateExpression="ADD attempts :one",
            ExpressionAttributeValues={":one": 1},
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"]["attempts"])
