"""Per-customer totals from order events. Pure: no AWS, no I/O."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# Kinesis sequence numbers are decimal strings of up to 128 digits; padded, they compare
# as strings in the same order as numbers (a DynamoDB condition compares strings).
SEQUENCE_WIDTH = 128


@dataclass(frozen=True)
class OrderPlaced:
    customer: str
    order_id: str
    total: Decimal
    sequence: str  # padded to SEQUENCE_WIDTH


def parse_record(record: dict[str, Any]) -> OrderPlaced:
    """One Kinesis record of the Lambda event -> the order it reports; ValueError if not one."""
    kinesis = record["kinesis"]
    event = json.loads(base64.b64decode(kinesis["data"]))
    if not isinstance(event, dict) or event.get("type") != "OrderPlaced":
        raise ValueError(f"not an OrderPlaced event: {event!r}")
    customer = event.get("customer")
    if not isinstance(customer, str) or customer != kinesis["partitionKey"]:
        raise ValueError("the event's customer is not the record's partition key")
    return OrderPlaced(
        customer=customer,
        order_id=str(event["orderId"]),
        total=Decimal(str(event["total"])),
        sequence=str(kinesis["sequenceNumber"]).zfill(SEQUENCE_WIDTH),
    )
