"""Dead-letter queues: RedrivePolicy, RedriveAllowPolicy, and when a message moves.

AWS counts receives: a message received ``maxReceiveCount`` times that becomes
visible again is moved to the dead-letter queue by the next receive that would
have returned it (its ReceiveCount would then exceed maxReceiveCount), instead of
being delivered a further time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import errors

MAX_RECEIVE_COUNT = 1000
MAX_SOURCE_ARNS = 10
PERMISSIONS = ("allowAll", "denyAll", "byQueue")


@dataclass(frozen=True)
class RedrivePolicy:
    dead_letter_target_arn: str
    max_receive_count: int

    def to_json(self) -> str:
        # GetQueueAttributes gives maxReceiveCount back as a number, whatever was sent.
        return json.dumps(
            {
                "deadLetterTargetArn": self.dead_letter_target_arn,
                "maxReceiveCount": self.max_receive_count,
            },
            separators=(",", ":"),
        )


@dataclass(frozen=True)
class RedriveAllowPolicy:
    permission: str
    source_queue_arns: tuple[str, ...] = ()

    def allows(self, source_arn: str) -> bool:
        if self.permission == "allowAll":
            return True
        return self.permission == "byQueue" and source_arn in self.source_queue_arns

    def to_json(self) -> str:
        value: dict[str, Any] = {"redrivePermission": self.permission}
        if self.permission == "byQueue":
            value["sourceQueueArns"] = list(self.source_queue_arns)
        return json.dumps(value, separators=(",", ":"))


def should_move(receive_count: int, policy: RedrivePolicy | None) -> bool:
    """True when receiving the message once more would exceed maxReceiveCount."""
    return policy is not None and receive_count >= policy.max_receive_count


def parse_redrive_policy(text: str) -> RedrivePolicy | None:
    """The policy in a RedrivePolicy attribute ("" removes it), or AWS's error."""
    if text == "":
        return None
    value = _json_map("RedrivePolicy", text)
    for key in ("deadLetterTargetArn", "maxReceiveCount"):
        if key not in value:
            raise errors.invalid_value(
                "RedrivePolicy",
                text,
                f"Redrive policy does not contain mandatory attribute: {key}.",
            )
    target, count = value["deadLetterTargetArn"], value["maxReceiveCount"]
    try:
        number = int(count)
    except (TypeError, ValueError):
        number = 0
    if isinstance(count, bool) or not 1 <= number <= MAX_RECEIVE_COUNT:
        raise errors.invalid_value(
            "RedrivePolicy",
            text,
            f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to "
            f"{MAX_RECEIVE_COUNT} both inclusive.",
        )
    if not isinstance(target, str) or not target.startswith("arn:"):
        raise errors.invalid_value(
            "RedrivePolicy", text, f"Invalid value for deadLetterTargetArn: {target}"
        )
    return RedrivePolicy(target, number)


def parse_redrive_allow_policy(text: str) -> RedriveAllowPolicy | None:
    if text == "":
        return None
    value = _json_map("RedriveAllowPolicy", text)
    permission = value.get("redrivePermission")
    if permission not in PERMISSIONS:
        raise errors.invalid_value(
            "RedriveAllowPolicy",
            text,
            f"redrivePermission must be one of {', '.join(PERMISSIONS)}.",
        )
    sources = value.get("sourceQueueArns")
    if permission != "byQueue":
        if sources:
            raise errors.invalid_value(
                "RedriveAllowPolicy",
                text,
                "sourceQueueArns can only be set when redrivePermission is byQueue.",
            )
        return RedriveAllowPolicy(permission)
    if (
        not isinstance(sources, list)
        or not 1 <= len(sources) <= MAX_SOURCE_ARNS
        or not all(isinstance(arn, str) for arn in sources)
    ):
        raise errors.invalid_value(
            "RedriveAllowPolicy",
            text,
            f"byQueue needs sourceQueueArns: a list of 1 to {MAX_SOURCE_ARNS} queue ARNs.",
        )
    return RedriveAllowPolicy(permission, tuple(sources))


def _json_map(parameter: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise errors.invalid_value(parameter, text, f"{parameter} is not a valid JSON map.")
    return value
