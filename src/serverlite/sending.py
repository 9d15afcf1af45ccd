"""Sending a message to an ARN, as every layer sees it: what is sent, what came of it.

Lambda's destinations and dead-letter queues, EventBridge targets and SNS
subscriptions all end in "send this to that ARN". ``serverlite.aws.arn_sender``
does it; the invoker knows only the ``TargetSender`` protocol, so nothing below
``aws/`` imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Message:
    """What a target receives; each kind of target takes the fields it has."""

    body: str
    # SQS and SNS message attributes, in their wire form: {"DataType": ..., "StringValue": ...}
    attributes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    group_id: str | None = None  # FIFO queues and topics: MessageGroupId
    dedup_id: str | None = None  # FIFO: MessageDeduplicationId
    # An event bus target: the PutEvents entry the body becomes the Detail of
    source: str = ""
    detail_type: str = ""
    resources: tuple[str, ...] = ()
    # The X-Ray trace the message continues (SQS: AWSTraceHeader; Lambda: the
    # invocation's trace; EventBridge: the entry's TraceHeader).
    trace_header: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to. ``retry``: a transient error (throttling, a 5xx) that
    the caller's retry policy may try again; ``failed``: AWS would not retry (the target
    does not exist, or refuses the payload)."""

    status: Literal["delivered", "retry", "failed"]
    code: str = ""  # why, in EventBridge's DLQ ERROR_CODE words: NO_RESOURCE, THROTTLING, ...
    message: str = ""

    @property
    def delivered(self) -> bool:
        return self.status == "delivered"


DELIVERED = Outcome("delivered")


class TargetSender(Protocol):
    async def send(self, arn: str, message: Message) -> Outcome: ...
