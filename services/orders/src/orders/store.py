"""The orders table (the orders service's own data)."""

from __future__ import annotations

import os
from typing import Any

import boto3


class OrderStore:
    def __init__(self, table: str | None = None) -> None:
        self.table = boto3.resource("dynamodb").Table(table or os.environ["ORDERS_TABLE"])

    def put(self, order: dict[str, Any]) -> None:
        self.table.put_item(Item=order, ConditionExpression="attribute_not_exists(id)")

    def get(self, order_id: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"id": order_id}, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def set_status(self, order_id: str, status: str, **fields: Any) -> dict[str, Any]:
        names = {"#s": "status", **{f"#{k}": k for k in fields}}
        values = {":s": status, **{f":{k}": v for k, v in fields.items()}}
        sets = ", ".join(["#s = :s", *(f"#{k} = :{k}" for k in fields)])
        result = self.table.update_item(
            Key={"id": order_id},
            UpdateExpression=f"SET {sets}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        return dict(result["Attributes"])
