"""Rule targets: what PutTargets accepts, and what one target gets for one event.

A target's retry policy defaults to AWS's (185 attempts within 24 hours); its
dead-letter queue must be an SQS queue. The delivery snapshot copies what the
delivery worker needs, so a target changed or removed later does not strand
events already routed to it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.aws.arn_sender import TARGET_SERVICES, arn_service

from .names import RULE_NAME, check_name, validation
from .transform import (
    InputTransformer,
    TransformContext,
    TransformError,
    parse_path,
    select_input_path,
)

log = logging.getLogger("serverlite.events")

MAX_TARGETS_PER_RULE = 5
DEFAULT_RETRY_ATTEMPTS = 185
DEFAULT_EVENT_AGE_S = 86400
DELIVERABLE = TARGET_SERVICES


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = DEFAULT_RETRY_ATTEMPTS
    max_age_s: int = DEFAULT_EVENT_AGE_S


def check_target(spec: Any, index: int) -> dict[str, Any]:
    """Validate one PutTargets entry; returns it as stored (ValidationException if bad)."""
    if not isinstance(spec, Mapping):
        raise validation("Targets must be a list of objects")
    check_name(spec.get("Id"), f"targets.{index}.member.id", RULE_NAME, 64)
    arn = spec.get("Arn")
    if not isinstance(arn, str) or not arn:
        raise validation(
            f"1 validation error detected: Value null at 'targets.{index}.member.arn'"
            " failed to satisfy constraint: Member must not be null"
        )
    given = [key for key in ("Input", "InputPath", "InputTransformer") if spec.get(key) is not None]
    if len(given) > 1:
        raise validation("Only one of Input, InputPath, or InputTransformer must be provided.")
    try:
        if spec.get("Input") is not None:
            json.loads(spec["Input"])
        if spec.get("InputPath") is not None:
            parse_path(str(spec["InputPath"]))
        if spec.get("InputTransformer") is not None:
            InputTransformer.parse(spec["InputTransformer"])
    except (ValueError, TypeError) as exc:
        reason = str(exc) if isinstance(exc, TransformError) else "not valid JSON"
        raise validation(
            f"Parameter {given[0]} of target {spec['Id']} is not valid: {reason}"
        ) from exc
    retry_policy(spec, index)
    dlq = (spec.get("DeadLetterConfig") or {}).get("Arn")
    if dlq is not None and arn_service(str(dlq)) != "sqs":
        raise validation(
            f"Parameter DeadLetterConfig.Arn of target {spec['Id']} is not valid: "
            "a dead-letter queue must be an SQS queue ARN"
        )
    if arn_service(arn) not in DELIVERABLE:
        log.warning(
            "serverlite cannot deliver events to %s (target %s): only Lambda, SQS, "
            "SNS, event bus and Step Functions targets are emulated",
            arn,
            spec["Id"],
        )
    return dict(spec)


def retry_policy(spec: Mapping[str, Any], index: int = 1) -> RetryPolicy:
    policy = spec.get("RetryPolicy") or {}
    attempts = policy.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)
    age = policy.get("MaximumEventAgeInSeconds", DEFAULT_EVENT_AGE_S)
    where = f"targets.{index}.member.retryPolicy"
    _bounded(attempts, f"{where}.maximumRetryAttempts", 0, 185)
    _bounded(age, f"{where}.maximumEventAgeInSeconds", 60, 86400)
    return RetryPolicy(int(attempts), int(age))


def _bounded(value: Any, field: str, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise validation(
            f"1 validation error detected: Value '{value}' at '{field}' failed to "
            "satisfy constraint: Member must be an integer"
        )
    if value < low:
        raise validation(
            f"1 validation error detected: Value '{value}' at '{field}' failed to "
            f"satisfy constraint: Member must have value greater than or equal to {low}"
        )
    if value > high:
        raise validation(
            f"1 validation error detected: Value '{value}' at '{field}' failed to "
            f"satisfy constraint: Member must have value less than or equal to {high}"
        )


def render(
    spec: Mapping[str, Any],
    transformer: InputTransformer | None,
    event_json: str,
    event: Mapping[str, Any] | None,
    context: TransformContext,
) -> str:
    """What the target receives for this event (event: the parsed event_json, or None)."""
    if spec.get("Input") is not None:
        return str(spec["Input"])
    if spec.get("InputPath") is None and transformer is None:
        return event_json
    parsed = event if event is not None else json.loads(event_json)
    if transformer is not None:
        return transformer.apply(parsed, context)
    return select_input_path(parsed, str(spec["InputPath"]))


def transformer_of(spec: Mapping[str, Any]) -> InputTransformer | None:
    value = spec.get("InputTransformer")
    return None if value is None else InputTransformer.parse(value)


def snapshot(
    spec: Mapping[str, Any], source_arn: str, kind: str = "rule", hops: int = 0
) -> dict[str, Any]:
    """What the delivery worker needs to deliver to this target, retry and dead-letter."""
    policy = retry_policy(spec)
    sqs = spec.get("SqsParameters") or {}
    result: dict[str, Any] = {
        "kind": kind,
        "arn": spec["Arn"],
        "id": spec.get("Id", ""),
        "source": source_arn,
        "retry": [policy.attempts, policy.max_age_s],
        "dlq": (spec.get("DeadLetterConfig") or {}).get("Arn"),
        "hops": hops,
    }
    if sqs.get("MessageGroupId"):
        result["group"] = sqs["MessageGroupId"]
    if spec.get("EventBridgeParameters"):
        result["bus_entry"] = dict(spec["EventBridgeParameters"])
    return result
