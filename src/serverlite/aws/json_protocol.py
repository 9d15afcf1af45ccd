"""The AWS JSON protocol (1.0 / 1.1): ``POST /`` with ``X-Amz-Target: Prefix.Operation``.

A service registers a ``JsonService``: its target prefix (``DynamoDB_20120810``,
``AmazonSSM``, ``secretsmanager``, ...), the JSON version it answers with, and an
async handler ``(operation, body) -> response body``. Handlers raise ``AwsError``
for AWS-shaped errors; botocore maps ``__type`` to the exception class.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from serverlite.errors import ServerliteError

JsonHandler = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


class AwsError(ServerliteError):
    """An error answered in AWS's shape: code (the exception name), message, HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400, **fields: Any) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = fields
        self.headers: dict[str, str] = {}  # extra response headers (SQS: x-amzn-query-error)


@dataclass(frozen=True)
class JsonService:
    target_prefix: str  # the part of X-Amz-Target before the dot
    json_version: str  # "1.0" or "1.1": the response content type
    handler: JsonHandler
    error_namespace: str = ""  # e.g. "com.amazonaws.dynamodb.v20120810#"


def error_response(service: JsonService | None, exc: AwsError, request_id: str) -> Response:
    namespace = service.error_namespace if service else ""
    version = service.json_version if service else "1.1"
    body = {"__type": f"{namespace}{exc.code}", "message": exc.message, **exc.fields}
    return Response(
        json.dumps(body),
        status_code=exc.status,
        media_type=f"application/x-amz-json-{version}",
        headers={**exc.headers, "x-amzn-RequestId": request_id},
    )


async def dispatch(request: Request, services: Mapping[str, JsonService]) -> Response:
    request_id = str(uuid.uuid4())
    target = request.headers.get("x-amz-target", "")
    prefix, _, operation = target.partition(".")
    service = services.get(prefix)
    if service is None or not operation:
        return error_response(
            None,
            AwsError("UnknownOperationException", f"serverlite does not implement {target!r}"),
            request_id,
        )
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return error_response(
            service,
            AwsError(
                "SerializationException", "Start of structure or map found where not expected."
            ),
            request_id,
        )
    if not isinstance(body, dict):
        return error_response(
            service,
            AwsError(
                "SerializationException", "Start of structure or map found where not expected."
            ),
            request_id,
        )
    try:
        result = await service.handler(operation, body)
    except AwsError as exc:
        return error_response(service, exc, request_id)
    return Response(
        json.dumps(result),
        media_type=f"application/x-amz-json-{service.json_version}",
        headers={"x-amzn-RequestId": request_id},
    )
