"""Order analytics: per-customer totals, kept from the orders stream (Kinesis).

The stream is keyed by customer, so each customer's orders arrive in order. Each
record is one UpdateItem: ADD to the totals and append the order, on condition that
the record's sequence number is newer than the last one counted; a record delivered
again (a retried or bisected batch) is then skipped, not counted twice. A record that
keeps failing is bisected out of its batch and, after its retries, described to the
on-failure queue.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from orders_shared.http import error, respond

from analytics.domain import OrderPlaced, parse_record

logger = Logger(service="analytics")
_table: Any = None


def table() -> Any:
    global _table
    if _table is None:
        _table = boto3.resource("dynamodb").Table(os.environ["TOTALS_TABLE"])
    return _table


def _count(order: OrderPlaced) -> bool:
    """Add one order to its customer's totals; False if it was counted already."""
    try:
        table().update_item(
            Key={"customer": order.customer},
            UpdateExpression=(
                "ADD orderCount :one, amount :total "
                "SET lastSequence = :seq, "
                "orderIds = list_append(if_not_exists(orderIds, :none), :id)"
            ),
            ConditionExpression="attribute_not_exists(lastSequence) OR lastSequence < :seq",
            ExpressionAttributeValues={
                ":one": 1,
                ":total": order.total,
                ":seq": order.sequence,
                ":none": [],
                ":id": [order.order_id],
            },
        )
    except table().meta.client.exceptions.ConditionalCheckFailedException:
        return False
    return True


@logger.inject_lambda_context
def count_orders(event: dict[str, Any], context: Any) -> None:
    for record in event["Records"]:  # in order: a failure fails the rest of the batch
        order = parse_record(record)
        if not _count(order):
            logger.info("already counted", extra={"sequence": order.sequence.lstrip("0")})


@logger.inject_lambda_context
def get_totals(event: dict[str, Any], context: Any) -> dict[str, Any]:
    customer = (event.get("pathParameters") or {}).get("customer", "")
    item = table().get_item(Key={"customer": customer}, ConsistentRead=True).get("Item")
    if item is None:
        return error(404, f"no orders for customer {customer}")
    return respond(
        200,
        {
            "customer": customer,
            "orderCount": int(item["orderCount"]),
            "amount": str(item["amount"]),
            "orderIds": list(item["orderIds"]),
        },
    )
