"""AWS-shaped error responses, made in one place per wire protocol."""

from __future__ import annotations

import json
import uuid

from starlette.responses import Response

from serverlite.errors import InvokeError


def rest_json_error(
    code: str,
    message: str,
    status: int,
    *,
    kind: str = "User",
    request_id: str | None = None,
    message_key: str = "message",
    **fields: str | int,
) -> Response:
    """An error as Lambda's rest-json protocol sends it: code in x-amzn-ErrorType."""
    body = {"Type": kind, message_key: message, **fields}
    return Response(
        json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": code, "x-amzn-RequestId": request_id or str(uuid.uuid4())},
    )


def from_invoke_error(exc: InvokeError, request_id: str | None = None) -> Response:
    return rest_json_error(
        exc.code,
        exc.message,
        exc.status,
        kind=exc.error_kind,
        request_id=request_id,
        message_key=exc.message_key,
        **exc.fields,
    )
