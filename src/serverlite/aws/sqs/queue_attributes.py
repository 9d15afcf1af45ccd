"""Queue attributes: which exist, their defaults and limits, and how values are checked.

Settable attributes are stored as AWS renders them (strings); the computed ones
(counts, ARN, timestamps) are filled in when asked for. FIFO-only attributes on a
standard queue, read-only ones in a set request and unknown names are
InvalidAttributeName; out-of-range values are InvalidAttributeValue.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from . import errors
from .redrive import parse_redrive_allow_policy, parse_redrive_policy

Check = Callable[[str, str], str]  # (name, value) -> the value as stored


def _int_range(low: int, high: int) -> Check:
    def check(name: str, value: str) -> str:
        try:
            number = int(value)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise errors.invalid_attribute_value(name)
        return str(number)

    return check


def _choice(*allowed: str) -> Check:
    def check(name: str, value: str) -> str:
        if value not in allowed:
            raise errors.invalid_attribute_value(name)
        return value

    return check


def _boolean(name: str, value: str) -> str:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise errors.invalid_attribute_value(name)
    return lowered


def _policy(name: str, value: str) -> str:
    if value:
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            raise errors.invalid_attribute_value(name, "Policy is not a valid JSON document.")
    return value


def _redrive(name: str, value: str) -> str:
    policy = parse_redrive_policy(value)
    return "" if policy is None else policy.to_json()


def _redrive_allow(name: str, value: str) -> str:
    policy = parse_redrive_allow_policy(value)
    return "" if policy is None else policy.to_json()


def _any(name: str, value: str) -> str:
    return value


@dataclass(frozen=True)
class Setting:
    check: Check
    default: str | None = None  # None: absent until set
    fifo_only: bool = False


SETTINGS: Mapping[str, Setting] = {
    "DelaySeconds": Setting(_int_range(0, 900), "0"),
    "MaximumMessageSize": Setting(_int_range(1024, 1048576), "1048576"),
    "MessageRetentionPeriod": Setting(_int_range(60, 1209600), "345600"),
    "ReceiveMessageWaitTimeSeconds": Setting(_int_range(0, 20), "0"),
    "VisibilityTimeout": Setting(_int_range(0, 43200), "30"),
    "Policy": Setting(_policy),
    "RedrivePolicy": Setting(_redrive),
    "RedriveAllowPolicy": Setting(_redrive_allow),
    "KmsMasterKeyId": Setting(_any),
    "KmsDataKeyReusePeriodSeconds": Setting(_int_range(60, 86400)),
    "SqsManagedSseEnabled": Setting(_boolean, "true"),
    "FifoQueue": Setting(_boolean, "true", fifo_only=True),
    "ContentBasedDeduplication": Setting(_boolean, "false", fifo_only=True),
    "DeduplicationScope": Setting(_choice("messageGroup", "queue"), "queue", fifo_only=True),
    "FifoThroughputLimit": Setting(
        _choice("perQueue", "perMessageGroupId"), "perQueue", fifo_only=True
    ),
}
COMPUTED = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
)
# The order GetQueueAttributes(All) lists them in.
ORDER = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
)


def defaults(fifo: bool) -> dict[str, str]:
    return {
        name: setting.default
        for name, setting in SETTINGS.items()
        if setting.default is not None and (fifo or not setting.fifo_only)
    }


def check(attributes: Mapping[str, Any], *, fifo: bool, creating: bool) -> dict[str, str]:
    """Checked, normalized values; "" for a policy being removed."""
    checked: dict[str, str] = {}
    for name, raw in attributes.items():
        setting = SETTINGS.get(name)
        if setting is None:
            raise errors.invalid_attribute_name(name)
        if name == "FifoQueue" and not creating:
            raise errors.invalid_attribute_name(name)  # fixed when the queue is created
        if setting.fifo_only and not fifo and not (name == "FifoQueue" and raw in ("false", False)):
            raise errors.invalid_attribute_name(name)
        value = "true" if raw is True else "false" if raw is False else str(raw)
        checked[name] = setting.check(name, value)
    if checked.get("KmsMasterKeyId"):
        if checked.get("SqsManagedSseEnabled") == "true":
            raise errors.invalid_attribute_value(
                "SqsManagedSseEnabled", "You can use one type of server-side encryption at a time."
            )
        checked["SqsManagedSseEnabled"] = "false"  # a KMS key replaces SQS-managed SSE
    if not fifo:
        checked.pop("FifoQueue", None)  # "false" on a standard queue: accepted, not shown
    return checked


def requested(names: Iterable[str], fifo: bool) -> list[str]:
    """GetQueueAttributes AttributeNames -> the attribute names to answer, in AWS's order."""
    wanted: set[str] = set()
    for name in names:
        if name == "All":
            return [n for n in ORDER if fifo or not _fifo_only(n)]
        if name not in SETTINGS and name not in COMPUTED:
            raise errors.invalid_attribute_name(name)
        if fifo or not _fifo_only(name):
            wanted.add(name)
    return [n for n in ORDER if n in wanted]


def _fifo_only(name: str) -> bool:
    setting = SETTINGS.get(name)
    return setting is not None and setting.fifo_only
