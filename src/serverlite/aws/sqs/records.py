"""What the store holds: queues and messages, as frozen records."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from .checksums import AttributeValue
from .names import QueueRef
from .redrive import (
    RedriveAllowPolicy,
    RedrivePolicy,
    parse_redrive_allow_policy,
    parse_redrive_policy,
)


@dataclass(frozen=True)
class Queue:
    id: int
    ref: QueueRef
    attributes: Mapping[str, str]  # settable attributes, as AWS renders them
    tags: Mapping[str, str]
    created: float
    modified: float
    purged_at: float | None = None

    @property
    def name(self) -> str:
        return self.ref.name

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    def number(self, attribute: str) -> int:
        return int(self.attributes[attribute])

    @property
    def visibility_timeout(self) -> int:
        return self.number("VisibilityTimeout")

    @property
    def content_based_deduplication(self) -> bool:
        return self.attributes.get("ContentBasedDeduplication") == "true"

    @property
    def dedup_per_group(self) -> bool:
        return self.attributes.get("DeduplicationScope") == "messageGroup"

    @cached_property
    def redrive_policy(self) -> RedrivePolicy | None:
        return parse_redrive_policy(self.attributes.get("RedrivePolicy", ""))

    @cached_property
    def redrive_allow_policy(self) -> RedriveAllowPolicy | None:
        return parse_redrive_allow_policy(self.attributes.get("RedriveAllowPolicy", ""))


@dataclass(frozen=True)
class StoredMessage:
    seq: int  # arrival order; FIFO sequence numbers derive from it
    message_id: str
    body: str
    attributes: Mapping[str, AttributeValue]
    md5_of_body: str
    md5_of_attributes: str | None
    trace_header: str | None
    sender_id: str
    sent_at: float
    receive_count: int = 0
    first_received_at: float | None = None
    group_id: str | None = None
    dedup_id: str | None = None
    dead_letter_source: str | None = None  # DeadLetterQueueSourceArn, once moved to a DLQ
    receipt_handle: str = field(default="", compare=False)


@dataclass(frozen=True)
class Counts:
    visible: int
    in_flight: int
    delayed: int


def encode_attributes(attributes: Mapping[str, AttributeValue]) -> str | None:
    if not attributes:
        return None
    return json.dumps(
        {
            name: {"t": value.data_type, "s": value.string_value}
            if value.string_value is not None
            else {"t": value.data_type, "b": base64.b64encode(value.binary_value or b"").decode()}
            for name, value in attributes.items()
        }
    )


def decode_attributes(text: str | None) -> dict[str, AttributeValue]:
    if not text:
        return {}
    return {
        name: AttributeValue(value["t"], string_value=value["s"])
        if "s" in value
        else AttributeValue(value["t"], binary_value=base64.b64decode(value["b"]))
        for name, value in json.loads(text).items()
    }
