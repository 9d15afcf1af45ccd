"""How a stored message is shown: ReceiveMessage's Message, and the attribute selections
(system attribute names, message attribute names with ``All``, ``.*`` and ``prefix.*``)."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any

from .checksums import AttributeValue, md5_of_attributes
from .fifo import sequence_number
from .records import StoredMessage

SYSTEM_ATTRIBUTES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def millis(seconds: float) -> str:
    return str(int(seconds * 1000))


def system_attributes(
    message: StoredMessage, fifo: bool, names: Iterable[str] = ("All",)
) -> dict[str, str]:
    """The system attributes asked for (unknown names are ignored, as AWS does)."""
    wanted = set(names)
    if "All" in wanted:
        wanted = set(SYSTEM_ATTRIBUTES)
    values: dict[str, str | None] = {
        "SenderId": message.sender_id,
        "SentTimestamp": millis(message.sent_at),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": (
            millis(message.first_received_at) if message.first_received_at is not None else None
        ),
        "MessageGroupId": message.group_id,
        "MessageDeduplicationId": message.dedup_id if fifo else None,
        "SequenceNumber": sequence_number(message.seq) if fifo else None,
        "AWSTraceHeader": message.trace_header,
        "DeadLetterQueueSourceArn": message.dead_letter_source,
    }
    return {
        name: value
        for name in SYSTEM_ATTRIBUTES
        if name in wanted and (value := values[name]) is not None
    }


def select_attributes(
    message: StoredMessage, selectors: Iterable[str]
) -> dict[str, AttributeValue]:
    """MessageAttributeNames: exact names, ``All`` / ``.*`` (every one) or ``prefix.*``."""
    chosen: dict[str, AttributeValue] = {}
    for selector in selectors:
        if selector in ("All", ".*"):
            return dict(message.attributes)
        if selector.endswith(".*"):
            prefix = selector[:-1]
            chosen.update((k, v) for k, v in message.attributes.items() if k.startswith(prefix))
        elif selector in message.attributes:
            chosen[selector] = message.attributes[selector]
    return chosen


def api_attribute(value: AttributeValue) -> dict[str, Any]:
    if value.binary_value is not None:
        return {
            "BinaryValue": base64.b64encode(value.binary_value).decode(),
            "DataType": value.data_type,
        }
    return {"StringValue": value.string_value, "DataType": value.data_type}


def api_message(
    message: StoredMessage,
    fifo: bool,
    system_names: Iterable[str],
    attribute_selectors: Iterable[str],
) -> dict[str, Any]:
    """A Message of ReceiveMessage's answer."""
    shown: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": message.receipt_handle,
        "MD5OfBody": message.md5_of_body,
        "Body": message.body,
    }
    attributes = system_attributes(message, fifo, system_names)
    if attributes:
        shown["Attributes"] = attributes
    selected = select_attributes(message, attribute_selectors)
    if selected:
        shown["MD5OfMessageAttributes"] = (
            message.md5_of_attributes
            if len(selected) == len(message.attributes)
            else md5_of_attributes(selected.items())
        )
        shown["MessageAttributes"] = {name: api_attribute(v) for name, v in selected.items()}
    return shown
