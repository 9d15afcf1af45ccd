"""EventBridge Scheduler's rest-json wire protocol on the AWS endpoint.

    POST /schedules/{Name}     CreateSchedule       PUT    /schedules/{Name}   UpdateSchedule
    GET  /schedules/{Name}     GetSchedule          DELETE /schedules/{Name}   DeleteSchedule
    GET  /schedules            ListSchedules

Errors carry the code in ``x-amzn-ErrorType`` and ``{"Message": ...}`` as botocore's
``scheduler`` client expects.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serverlite.aws.json_protocol import AwsError

from .scheduler_api import SchedulerApi

Handler = Callable[[Request], Awaitable[dict[str, Any]]]


def _error(exc: AwsError) -> Response:
    return Response(
        json.dumps({"Message": exc.message}),
        status_code=exc.status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": exc.code, "x-amzn-RequestId": str(uuid.uuid4())},
    )


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except AwsError as exc:
            return _error(exc)
        return JSONResponse(result, headers={"x-amzn-RequestId": str(uuid.uuid4())})

    return endpoint


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise AwsError("ValidationException", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise AwsError("ValidationException", "The request body must be a JSON object.")
    return body


def routes(api: SchedulerApi) -> list[Route]:
    async def create(request: Request) -> dict[str, Any]:
        return api.create_schedule(request.path_params["name"], await _body(request))

    async def update(request: Request) -> dict[str, Any]:
        return api.update_schedule(request.path_params["name"], await _body(request))

    async def get(request: Request) -> dict[str, Any]:
        return api.get_schedule(request.path_params["name"], request.query_params.get("groupName"))

    async def delete(request: Request) -> dict[str, Any]:
        return api.delete_schedule(
            request.path_params["name"], request.query_params.get("groupName")
        )

    async def listing(request: Request) -> dict[str, Any]:
        return api.list_schedules(dict(request.query_params))

    return [
        Route("/schedules", _endpoint(listing), methods=["GET"]),
        Route("/schedules/{name}", _endpoint(create), methods=["POST"]),
        Route("/schedules/{name}", _endpoint(update), methods=["PUT"]),
        Route("/schedules/{name}", _endpoint(get), methods=["GET"]),
        Route("/schedules/{name}", _endpoint(delete), methods=["DELETE"]),
    ]
