"""API Gateway (REST, payload 1.0) requests and responses for the handlers."""

from __future__ import annotations

import json
from typing import Any

JSON = {"Content-Type": "application/json"}


def respond(status: int, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"statusCode": status, "headers": {**JSON, **(headers or {})}}
    if body is not None:
        response["body"] = json.dumps(body)
    else:
        response["headers"] = headers or {}
    return response


def error(status: int, message: str) -> dict[str, Any]:
    return respond(status, {"message": message})


def json_body(event: dict[str, Any]) -> Any:
    """The request body as JSON; raises ValueError with a readable message."""
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "application/json").split(";")[0].strip()
    if content_type != "application/json":
        raise ValueError("Content-Type must be application/json")
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raise ValueError("the body must be JSON text")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None


def path_id(event: dict[str, Any]) -> str:
    return (event.get("pathParameters") or {}).get("id", "")


def query(event: dict[str, Any], name: str) -> str | None:
    return (event.get("queryStringParameters") or {}).get(name)
