"""HTTP API (payload 2.0) requests and responses for identity's handlers."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl

from identity.domain import IdentityError, InvalidClient, InvalidRequest

# Token responses must not be cached (RFC 6749 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def respond(status: int, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
    }
    if body is not None:
        response["body"] = json.dumps(body)
    return response


def refuse(exc: IdentityError) -> dict[str, Any]:
    headers = dict(NO_STORE)
    if exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, InvalidClient):
        headers["WWW-Authenticate"] = 'Basic realm="identity"'
    return respond(exc.status, {"error": exc.code, "message": str(exc)}, headers)


def header(event: dict[str, Any], name: str) -> str | None:
    # HTTP APIs hand header names over in lower case.
    value = (event.get("headers") or {}).get(name.lower())
    return str(value) if value is not None else None


def source_ip(event: dict[str, Any]) -> str:
    return str(event.get("requestContext", {}).get("http", {}).get("sourceIp", "unknown"))


def _text(event: dict[str, Any]) -> str:
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(raw).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidRequest("the body must be UTF-8 text") from None
    return str(raw)


def json_body(event: dict[str, Any]) -> Any:
    try:
        return json.loads(_text(event) or "null")
    except ValueError:
        raise InvalidRequest("the body is not valid JSON") from None


def form_body(event: dict[str, Any]) -> dict[str, str]:
    """An OAuth token request: form-encoded (RFC 6749), or a JSON object of strings."""
    media = (header(event, "content-type") or "").split(";")[0].strip().lower()
    if media == "application/json":
        body = json_body(event)
        if not isinstance(body, dict) or not all(isinstance(v, str) for v in body.values()):
            raise InvalidRequest("the body must be an object of strings")
        return body
    if media != "application/x-www-form-urlencoded":
        raise InvalidRequest("Content-Type must be application/x-www-form-urlencoded")
    pairs = parse_qsl(_text(event), keep_blank_values=True)
    form = dict(pairs)
    if len(form) != len(pairs):
        raise InvalidRequest("a parameter must not repeat")  # RFC 6749 3.1
    return form
