"""EventBridge Scheduler: CreateSchedule, GetSchedule, UpdateSchedule, DeleteSchedule,
ListSchedules (the ``default`` schedule group only).

Schedules fire from the same loop as scheduled rules (``ticker``) and deliver
through the same worker, with the target's RetryPolicy and DeadLetterConfig. A
FLEXIBLE time window fires at the start of its window (AWS may fire anywhere in it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from serverlite.aws.backend import AwsError

from .names import Arns
from .operations import page
from .records import Schedule
from .schedule_expressions import ScheduleExpressionError, parse_expression
from .store import EventsDb
from .targets import retry_policy
from .ticker import scheduler_arn

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


class SchedulerApi:
    def __init__(
        self, db: EventsDb, arns: Arns, clock: Callable[[], float], changed: Callable[[], None]
    ) -> None:
        self.db = db
        self.arns = arns
        self.clock = clock
        self._changed = changed

    def _group(self, value: Any) -> str:
        group = check_name(value or DEFAULT_GROUP, "GroupName")
        if group != DEFAULT_GROUP:
            raise AwsError(
                "ResourceNotFoundException", f"Schedule group {group} does not exist.", 404
            )
        return group

    def _require(self, group: str, name: str) -> Schedule:
        schedule = self.db.schedule(group, name)
        if schedule is None:
            raise AwsError("ResourceNotFoundException", f"Schedule {name} does not exist.", 404)
        return schedule

    def create_schedule(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        check_name(name)
        group = self._group(body.get("GroupName"))
        spec = check_spec(body)
        if self.db.schedule(group, name) is not None:
            raise AwsError("ConflictException", f"Schedule {name} already exists.", 409)
        now = self.clock()
        self.db.put_schedule(Schedule(group, name, spec, now, now))
        self._changed()
        return {"ScheduleArn": scheduler_arn(self.arns, group, name)}

    def update_schedule(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        group = self._group(body.get("GroupName"))
        existing = self._require(group, name)
        spec = check_spec(body)
        self.db.put_schedule(Schedule(group, name, spec, existing.created, self.clock()))
        self._changed()
        return {"ScheduleArn": scheduler_arn(self.arns, group, name)}

    def get_schedule(self, name: str, group: str | None) -> dict[str, Any]:
        schedule = self._require(self._group(group), name)
        return {
            **schedule.spec,
            "Arn": scheduler_arn(self.arns, schedule.group, name),
            "GroupName": schedule.group,
            "Name": name,
            "CreationDate": schedule.created,
            "LastModificationDate": schedule.modified,
        }

    def delete_schedule(self, name: str, group: str | None) -> dict[str, Any]:
        schedule = self._require(self._group(group), name)
        self.db.delete_schedule(schedule.group, name)
        self._changed()
        return {}

    def list_schedules(self, query: dict[str, Any]) -> dict[str, Any]:
        group = query.get("ScheduleGroup")
        prefix = str(query.get("NamePrefix") or "")
        state = query.get("State")
        summaries = [
            {
                "Arn": scheduler_arn(self.arns, s.group, s.name),
                "Name": s.name,
                "GroupName": s.group,
                "State": s.spec.get("State", "ENABLED"),
                "CreationDate": s.created,
                "LastModificationDate": s.modified,
                "Target": {"Arn": (s.spec.get("Target") or {}).get("Arn", "")},
            }
            for s in self.db.schedules()
            if s.name.startswith(prefix)
            and (group is None or s.group == group)
            and (state is None or s.spec.get("State", "ENABLED") == state)
        ]
        limit = int(query.get("MaxResults") or 100)
        return page(
            summaries,
            {"Limit": min(max(limit, 1), 100), "NextToken": query.get("NextToken")},
            "Schedules",
        )
