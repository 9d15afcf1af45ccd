"""HTTP API (payload 2.0) requests and responses for profiles' handlers."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any


def respond(status: int, body: Any = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
    }
    if body is not None:
        response["body"] = json.dumps(body)
    return response


def error(status: int, message: str) -> dict[str, Any]:
    return respond(status, {"message": message})


def json_body(event: dict[str, Any]) -> Any:
    """The body as JSON; ValueError with a readable message."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ValueError("the body must be UTF-8 JSON") from None
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError("the body is not valid JSON") from None


def path_parameter(event: dict[str, Any], name: str) -> str:
    return str((event.get("pathParameters") or {}).get(name, ""))


def claims(event: dict[str, Any]) -> dict[str, str]:
    """The JWT claims the gateway's authorizer verified; {} on a public route."""
    authorizer = event.get("requestContext", {}).get("authorizer") or {}
    found = (authorizer.get("jwt") or {}).get("claims") or {}
    return {str(k): str(v) for k, v in found.items()}
