"""A Publish request (or PublishBatch entry) checked into a ``NewMessage``.

Checks follow SNS: a non-empty message, the subject's characters and length,
``MessageStructure=json`` (a JSON object of per-protocol messages with a string
``default``), message attributes, the 256 KB limit on message plus attributes, and
the FIFO parameters (MessageGroupId required on a FIFO topic, a deduplication id
unless the topic deduplicates by content).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import errors
from . import message_attributes as attrs

MAX_MESSAGE_BYTES = 262_144  # 256 KB: the message and its attributes together
MAX_SUBJECT = 100
MAX_ID = 128
_SUBJECT = re.compile(r"[\x20-\x7e]+")  # printable ASCII: no line breaks or control characters
_ID = re.compile(r"[A-Za-z0-9!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]+")


@dataclass(frozen=True)
class NewMessage:
    message: str
    subject: str | None = None
    # MessageStructure=json: the message for each protocol ("default" for the rest).
    per_protocol: Mapping[str, str] = field(default_factory=dict)
    attributes: attrs.Attributes = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None

    def for_protocol(self, protocol: str) -> str:
        if not self.per_protocol:
            return self.message
        return self.per_protocol.get(protocol, self.per_protocol["default"])


def check(params: Mapping[str, Any], *, fifo: bool, content_dedup: bool) -> NewMessage:
    """The checked message; InvalidParameter / ParameterValueInvalid in AWS's words."""
    message = params.get("Message")
    if not isinstance(message, str) or not message:
        raise errors.invalid("Empty message")
    subject = params.get("Subject")
    if subject is not None:
        subject = str(subject)
        if not _SUBJECT.fullmatch(subject) or len(subject) > MAX_SUBJECT:
            raise errors.invalid("Subject")
    per_protocol = _structure(params.get("MessageStructure"), message)
    attributes = attrs.parse(params.get("MessageAttributes"))
    size = len(message.encode()) + attrs.total_size(attributes)
    if size > MAX_MESSAGE_BYTES:
        raise errors.invalid("Message too long")
    group_id, dedup_id = _fifo(params, message, fifo=fifo, content_dedup=content_dedup)
    return NewMessage(message, subject, per_protocol, attributes, group_id, dedup_id)


def _structure(structure: Any, message: str) -> dict[str, str]:
    if structure is None:
        return {}
    if structure != "json":
        raise errors.invalid("MessageStructure")
    try:
        parsed = json.loads(message)
    except ValueError:
        raise errors.invalid("Message Structure - JSON message body failed to parse") from None
    if not isinstance(parsed, dict):
        raise errors.invalid("Message Structure - JSON message body failed to parse")
    if "default" not in parsed:
        raise errors.invalid("Message Structure - No default entry in JSON message body")
    if not all(isinstance(value, str) for value in parsed.values()):
        raise errors.invalid("Message Structure - JSON message body failed to parse")
    return {str(key): str(value) for key, value in parsed.items()}


def _fifo(
    params: Mapping[str, Any], message: str, *, fifo: bool, content_dedup: bool
) -> tuple[str | None, str | None]:
    group_id = params.get("MessageGroupId")
    dedup_id = params.get("MessageDeduplicationId")
    if not fifo:
        if dedup_id is not None:
            raise errors.invalid(
                "MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type"
            )
        # Standard topics take a MessageGroupId (for SQS fair queues); it goes no further.
        if group_id is not None:
            _check_id("MessageGroupId", str(group_id))
        return None, None
    if not group_id:
        raise errors.invalid("The MessageGroupId parameter is required for FIFO topics")
    _check_id("MessageGroupId", str(group_id))
    if dedup_id is None:
        if not content_dedup:
            raise errors.invalid(
                "The topic should either have ContentBasedDeduplication enabled or "
                "MessageDeduplicationId provided explicitly"
            )
        # Content-based deduplication: the SHA-256 of the message body (attributes excluded).
        dedup_id = hashlib.sha256(message.encode()).hexdigest()
    _check_id("MessageDeduplicationId", str(dedup_id))
    return str(group_id), str(dedup_id)


def _check_id(parameter: str, value: str) -> None:
    if not _ID.fullmatch(value) or len(value) > MAX_ID:
        raise errors.invalid(
            f"{parameter} Reason: {parameter} can only include alphanumeric and punctuation "
            f"characters. 1 to {MAX_ID} in length."
        )
