"""API Gateway responses and request bodies, the same way in every function."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _plain(value: Any) -> Any:
    # DynamoDB hands numbers back as Decimal; JSON wants int or float.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def respond(status: int, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
    }
    if body is not None:
        response["body"] = json.dumps(body, default=_plain)
    return response


def error(status: int, message: str, **extra: Any) -> dict[str, Any]:
    return respond(status, {"message": message, **extra})


def json_body(event: dict[str, Any]) -> Any:
    """The JSON body of an API Gateway event; ValueError with a readable message."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        raise ValueError("the body must be JSON text")
    try:
        return json.loads(raw)
    except ValueError:
        raise ValueError("the body is not valid JSON") from None
