"""The event a function behind an SQS mapping receives: ``{"Records": [...]}``, each record
shaped like AWS's (shared/aws-events/sqsEvent.json): system attributes as strings,
message attributes in camelCase with the list fields AWS always includes, and
``md5OfMessageAttributes`` null when the message has none."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from ..checksums import AttributeValue
from ..records import StoredMessage
from ..views import system_attributes

# The order Lambda lists a record's attributes in.
_ATTRIBUTE_ORDER = (
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "DeadLetterQueueSourceArn",
)


def message_attribute(value: AttributeValue) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    if value.binary_value is not None:
        shown["binaryValue"] = base64.b64encode(value.binary_value).decode()
    else:
        shown["stringValue"] = value.string_value
    shown["stringListValues"] = []
    shown["binaryListValues"] = []
    shown["dataType"] = value.data_type
    return shown


def record(message: StoredMessage, queue_arn: str, region: str, fifo: bool) -> dict[str, Any]:
    attributes = system_attributes(message, fifo)
    return {
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": {name: attributes[name] for name in _ATTRIBUTE_ORDER if name in attributes},
        "messageAttributes": {
            name: message_attribute(value) for name, value in message.attributes.items()
        },
        "md5OfMessageAttributes": message.md5_of_attributes,
        "md5OfBody": message.md5_of_body,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def event_payload(records: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps({"Records": list(records)}).encode()
