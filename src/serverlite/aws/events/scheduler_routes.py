"""EventBridge Scheduler's rest-json wire protocol on the AWS endpoint.

    POST /schedules/{Name}     CreateSchedule       PUT    /schedules/{Name}   UpdateSchedule
    GET  /schedules/{Name}     GetSchedule          DELETE /schedules/{Name}   DeleteSchedule
    GET  /schedules            ListSchedules

Errors carry the code in ``x-amzn-ErrorType`` and ``{"Message": ...}`` as botocore's
``scheduler`` client expects.
"""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import MiB, Operation, Operations, RestJsonService, RestRoute

from .scheduler_api import SchedulerApi

ROUTES = (
    RestRoute("GET", "/schedules", "ListSchedules"),
    RestRoute("POST", "/schedules/{name}", "CreateSchedule", json=True),
    RestRoute("PUT", "/schedules/{name}", "UpdateSchedule", json=True),
    RestRoute("GET", "/schedules/{name}", "GetSchedule"),
    RestRoute("DELETE", "/schedules/{name}", "DeleteSchedule"),
)


def create_schedule(api: SchedulerApi, request: dict[str, Any]) -> dict[str, Any]:
    return api.create_schedule(request["path"]["name"], request["body"])


def update_schedule(api: SchedulerApi, request: dict[str, Any]) -> dict[str, Any]:
    return api.update_schedule(request["path"]["name"], request["body"])


def get_schedule(api: SchedulerApi, request: dict[str, Any]) -> dict[str, Any]:
    return api.get_schedule(request["path"]["name"], request["query"].get("groupName"))


def delete_schedule(api: SchedulerApi, request: dict[str, Any]) -> dict[str, Any]:
    return api.delete_schedule(request["path"]["name"], request["query"].get("groupName"))


def list_schedules(api: SchedulerApi, request: dict[str, Any]) -> dict[str, Any]:
    return api.list_schedules(dict(request["query"]))


OPERATIONS: dict[str, Operation] = {
    "CreateSchedule": create_schedule,
    "UpdateSchedule": update_schedule,
    "GetSchedule": get_schedule,
    "DeleteSchedule": delete_schedule,
    "ListSchedules": list_schedules,
}


def face(api: SchedulerApi) -> RestJsonService:
    return RestJsonService(
        ROUTES,
        Operations(
            "Scheduler",
            api,
            OPERATIONS,
            malformed="ValidationException",
            internal="InternalServerException",
        ),
        max_request_bytes=MiB,  # a schedule's target input is at most 256 KB
        message_key="Message",
    )
