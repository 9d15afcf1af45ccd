"""What the store keeps: topics, subscriptions, published messages, pending deliveries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from .message_attributes import Attributes

# A subscription that has not been confirmed shows this instead of its ARN.
PENDING = "PendingConfirmation"
PENDING_SUBSCRIBE = "pending confirmation"  # what Subscribe returns for one

DeliveryKind = Literal["notification", "subscribe", "unsubscribe"]


@dataclass(frozen=True)
class Topic:
    arn: str
    name: str
    attributes: Mapping[str, str] = field(default_factory=dict)  # as set (DisplayName, ...)
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoTopic") == "true"

    @property
    def content_dedup(self) -> bool:
        return self.attributes.get("ContentBasedDeduplication") == "true"


@dataclass(frozen=True)
class Subscription:
    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    confirmed: bool
    attributes: Mapping[str, str] = field(default_factory=dict)  # as set (FilterPolicy, ...)
    token: str | None = None  # the confirmation token of a pending subscription
    token_created: float = 0.0
    origin: str = "api"  # "api", or "template" for what provisioning made

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery") == "true"

    @property
    def listed_arn(self) -> str:
        """The ARN as the List* operations show it."""
        return self.arn if self.confirmed else PENDING


@dataclass(frozen=True)
class StoredMessage:
    """A published message, kept until every delivery of it is finished."""

    message_id: str
    topic_arn: str
    message: str
    timestamp: float
    subject: str | None = None
    per_protocol: Mapping[str, str] = field(default_factory=dict)
    attributes: Attributes = field(default_factory=dict)
    group_id: str | None = None
    dedup_id: str | None = None
    sequence_number: str | None = None
    trace_header: str | None = None  # the publisher's X-Ray trace, passed to subscribers

    def for_protocol(self, protocol: str) -> str:
        if not self.per_protocol:
            return self.message
        return self.per_protocol.get(protocol, self.per_protocol["default"])


@dataclass(frozen=True)
class Delivery:
    """One message (or confirmation) owed to one endpoint."""

    id: int
    kind: DeliveryKind
    subscription_arn: str
    attempts: int  # attempts made so far
    created: float
    message_id: str | None = None
    # Confirmations carry what they need, as the subscription may be gone (unsubscribe).
    topic_arn: str = ""
    protocol: str = ""
    endpoint: str = ""
    token: str = ""
