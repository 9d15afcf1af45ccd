"""Order events on the orders stream (the adapter: the domain stays free of AWS).

Each placed order is one Kinesis record keyed by its customer: Kinesis keeps the
records of one partition key in one shard, in order, so a consumer sees each
customer's orders in the order they were placed.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

_kinesis: Any = None


def order_placed(order: dict[str, Any]) -> dict[str, Any]:
    """The event published for a placed order (what the analytics consumer reads)."""
    return {
        "type": "OrderPlaced",
        "orderId": order["id"],
        "customer": order["customer"],
        "total": order["total"],
        "createdAt": order["createdAt"],
    }


def publish_order_placed(order: dict[str, Any]) -> str:
    """PutRecord, PartitionKey = customer; the record's sequence number."""
    global _kinesis
    if _kinesis is None:
        _kinesis = boto3.client("kinesis")
    put = _kinesis.put_record(
        StreamName=os.environ["ORDER_EVENTS_STREAM"],
        PartitionKey=order["customer"],
        Data=json.dumps(order_placed(order)).encode(),
    )
    return str(put["SequenceNumber"])
