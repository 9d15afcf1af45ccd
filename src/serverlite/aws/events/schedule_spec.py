"""What EventBridge Scheduler accepts as a schedule: its name, group and spec
(checked alike for CreateSchedule, UpdateSchedule and the template's
AWS::Scheduler::Schedule)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from serverlite.aws.backend import AwsError

from .schedule_expressions import ScheduleExpressionError, parse_expression
from .targets import retry_policy

DEFAULT_GROUP = "default"
_NAME_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_.")
_FIELDS = (
    "ScheduleExpression",
    "ScheduleExpressionTimezone",
    "StartDate",
    "EndDate",
    "Description",
    "State",
    "KmsKeyArn",
    "Target",
    "FlexibleTimeWindow",
    "ActionAfterCompletion",
)


def _validation(message: str) -> AwsError:
    return AwsError("ValidationException", message, 400)


def check_spec(body: dict[str, Any]) -> dict[str, Any]:
    """A CreateSchedule/UpdateSchedule request's schedule, validated; ValidationException if bad."""
    expression = body.get("ScheduleExpression")
    if not isinstance(expression, str) or not expression:
        raise _validation("ScheduleExpression is required.")
    try:
        parse_expression(expression, timezone=body.get("ScheduleExpressionTimezone"), allow_at=True)
    except ScheduleExpressionError as exc:
        raise _validation(f"Invalid Schedule Expression {expression}: {exc}.") from exc
    window = body.get("FlexibleTimeWindow")
    if not isinstance(window, dict) or window.get("Mode") not in ("OFF", "FLEXIBLE"):
        raise _validation("FlexibleTimeWindow with a Mode of OFF or FLEXIBLE is required.")
    minutes = window.get("MaximumWindowInMinutes")
    if window["Mode"] == "FLEXIBLE" and not (isinstance(minutes, int) and 1 <= minutes <= 1440):
        raise _validation("MaximumWindowInMinutes (1-1440) is required when Mode is FLEXIBLE.")
    target = body.get("Target")
    if not isinstance(target, dict) or not target.get("Arn") or not target.get("RoleArn"):
        raise _validation("Target with an Arn and a RoleArn is required.")
    try:
        retry_policy(target)
    except AwsError as exc:
        raise _validation(exc.message) from exc
    if body.get("State", "ENABLED") not in ("ENABLED", "DISABLED"):
        raise _validation("State must be ENABLED or DISABLED.")
    if body.get("ActionAfterCompletion", "NONE") not in ("NONE", "DELETE"):
        raise _validation("ActionAfterCompletion must be NONE or DELETE.")
    spec = {key: body[key] for key in _FIELDS if body.get(key) is not None}
    for key in ("StartDate", "EndDate"):
        if key in spec:
            spec[key] = _epoch(spec[key], key)
    spec.setdefault("State", "ENABLED")
    return spec


def _epoch(value: Any, field: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):  # CloudFormation gives ISO 8601
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()
    raise _validation(f"{field} must be a timestamp.")


def check_name(value: Any, field: str = "Name") -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 64 or not set(value) <= _NAME_CHARS:
        raise _validation(f"{field} must be 1-64 characters of [0-9a-zA-Z-_.].")
    return value
