"""EventBridge Scheduler's API, rest-json on the AWS endpoint (the ``default`` schedule
group only):

    POST /schedules/{Name}     CreateSchedule       PUT    /schedules/{Name}   UpdateSchedule
    GET  /schedules/{Name}     GetSchedule          DELETE /schedules/{Name}   DeleteSchedule
    GET  /schedules            ListSchedules

The rest-json dispatcher gives each operation ``{"path", "query", "headers", "body"}``;
errors carry the code in ``x-amzn-ErrorType`` and ``{"Message": ...}`` as botocore's
``scheduler`` client expects.

Schedules fire from the same loop as scheduled rules (``ticker``) and deliver
through the same worker, with the target's RetryPolicy and DeadLetterConfig. A
FLEXIBLE time window fires at the start of its window (AWS may fire anywhere in it).
"""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError, Operation, RestRoute

from .context import EventsContext, page
from .records import Schedule
from .schedule_spec import DEFAULT_GROUP, check_name, check_spec
from .ticker import scheduler_arn

ROUTES = (
    RestRoute("GET", "/schedules", "ListSchedules"),
    RestRoute("POST", "/schedules/{name}", "CreateSchedule", json=True),
    RestRoute("PUT", "/schedules/{name}", "UpdateSchedule", json=True),
    RestRoute("GET", "/schedules/{name}", "GetSchedule"),
    RestRoute("DELETE", "/schedules/{name}", "DeleteSchedule"),
)


def _group(value: Any) -> str:
    group = check_name(value or DEFAULT_GROUP, "GroupName")
    if group != DEFAULT_GROUP:
        raise AwsError("ResourceNotFoundException", f"Schedule group {group} does not exist.", 404)
    return group


def _require(ctx: EventsContext, group: str, name: str) -> Schedule:
    schedule = ctx.db.schedule(group, name)
    if schedule is None:
        raise AwsError("ResourceNotFoundException", f"Schedule {name} does not exist.", 404)
    return schedule


def create_schedule(ctx: EventsContext, request: dict[str, Any]) -> dict[str, Any]:
    name, body = request["path"]["name"], request["body"]
    check_name(name)
    group = _group(body.get("GroupName"))
    spec = check_spec(body)
    if ctx.db.schedule(group, name) is not None:
        raise AwsError("ConflictException", f"Schedule {name} already exists.", 409)
    now = ctx.clock()
    ctx.db.put_schedule(Schedule(group, name, spec, now, now))
    ctx.schedules_changed()
    return {"ScheduleArn": scheduler_arn(ctx.arns, group, name)}


def update_schedule(ctx: EventsContext, request: dict[str, Any]) -> dict[str, Any]:
    name, body = request["path"]["name"], request["body"]
    group = _group(body.get("GroupName"))
    existing = _require(ctx, group, name)
    spec = check_spec(body)
    ctx.db.put_schedule(Schedule(group, name, spec, existing.created, ctx.clock()))
    ctx.schedules_changed()
    return {"ScheduleArn": scheduler_arn(ctx.arns, group, name)}


def get_schedule(ctx: EventsContext, request: dict[str, Any]) -> dict[str, Any]:
    name = request["path"]["name"]
    schedule = _require(ctx, _group(request["query"].get("groupName")), name)
    return {
        **schedule.spec,
        "Arn": scheduler_arn(ctx.arns, schedule.group, name),
        "GroupName": schedule.group,
        "Name": name,
        "CreationDate": schedule.created,
        "LastModificationDate": schedule.modified,
    }


def delete_schedule(ctx: EventsContext, request: dict[str, Any]) -> dict[str, Any]:
    name = request["path"]["name"]
    schedule = _require(ctx, _group(request["query"].get("groupName")), name)
    ctx.db.delete_schedule(schedule.group, name)
    ctx.schedules_changed()
    return {}


def _summary(ctx: EventsContext, schedule: Schedule) -> dict[str, Any]:
    return {
        "Arn": scheduler_arn(ctx.arns, schedule.group, schedule.name),
        "Name": schedule.name,
        "GroupName": schedule.group,
        "State": schedule.spec.get("State", "ENABLED"),
        "CreationDate": schedule.created,
        "LastModificationDate": schedule.modified,
        "Target": {"Arn": (schedule.spec.get("Target") or {}).get("Arn", "")},
    }


def list_schedules(ctx: EventsContext, request: dict[str, Any]) -> dict[str, Any]:
    query = dict(request["query"])
    group = query.get("ScheduleGroup")
    prefix = str(query.get("NamePrefix") or "")
    state = query.get("State")
    summaries = [
        _summary(ctx, s)
        for s in ctx.db.schedules()
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


OPERATIONS: dict[str, Operation] = {
    "CreateSchedule": create_schedule,
    "UpdateSchedule": update_schedule,
    "GetSchedule": get_schedule,
    "DeleteSchedule": delete_schedule,
    "ListSchedules": list_schedules,
}
