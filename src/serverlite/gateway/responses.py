"""Turn what a function returned into the HTTP response API Gateway would send.

Payload 1.0 (REST, and HTTP APIs on 1.0) needs ``statusCode``; anything else is a
malformed Lambda proxy response. Payload 2.0 also accepts a bare JSON value, sent
as a 200 application/json body, and ``cookies`` that become Set-Cookie headers.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any

import orjson

from serverlite.gateway.http import HttpResponse


class MalformedResponse(Exception):
    """The function's result is not a valid proxy response."""


def _headers(result: dict[str, Any]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedResponse("headers must be objects")
    seen = set()
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse("multiValueHeaders values must be lists")
        seen.add(name.lower())
        headers.extend((str(name), _scalar(v)) for v in values)
    for name, value in single.items():
        if name.lower() in seen:
            continue  # multiValueHeaders win for the same name
        headers.append((str(name), _scalar(value)))
    return headers


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MalformedResponse("header values must be strings")


def _body(result: dict[str, Any], decode: bool = True) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResponse("body must be a string")
    if result.get("isBase64Encoded") and decode:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedResponse("isBase64Encoded body is not base64") from exc
    # A lone surrogate (JSON allows "\ud800") becomes "?", as Java's UTF-8 encoder does.
    return body.encode("utf-8", "replace")


def _status(result: dict[str, Any]) -> int:
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse("statusCode must be an HTTP status code")
    return status


def _parse(payload: bytes) -> Any:
    """The function's result as the stdlib reads it, read by orjson when that is the same.

    orjson refuses NaN and lone surrogates (the stdlib reads them) and reads integers
    beyond 64 bits as floats: header values are the only place where a number is
    turned into text, so a float there sends the payload to the stdlib again.
    """
    try:
        result = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return json.loads(payload)
    if isinstance(result, dict) and _has_float(result):
        return json.loads(payload)
    return result


def _has_float(result: dict[str, Any]) -> bool:
    for key in ("headers", "multiValueHeaders"):
        values = result.get(key)
        if isinstance(values, dict):
            for value in values.values():
                if isinstance(value, float) or (
                    isinstance(value, list) and any(isinstance(v, float) for v in value)
                ):
                    return True
    cookies = result.get("cookies")
    return isinstance(cookies, list) and any(isinstance(c, float) for c in cookies)


def from_v1(payload: bytes, binary: Callable[[str | None], bool] | None = None) -> HttpResponse:
    """``binary(content_type)`` says whether a base64 body goes out decoded (REST only)."""
    try:
        result = _parse(payload)
    except ValueError as exc:
        raise MalformedResponse("not JSON") from exc
    if not isinstance(result, dict):
        raise MalformedResponse("not an object")
    extra = set(result) - {
        "statusCode",
        "headers",
        "multiValueHeaders",
        "body",
        "isBase64Encoded",
        "cookies",
    }
    if extra:
        raise MalformedResponse(f"unexpected fields {sorted(extra)}")
    headers = _headers(result)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
    decode = binary is None or binary(content_type)
    return HttpResponse(_status(result), headers, _body(result, decode))


def from_v2(payload: bytes) -> HttpResponse:
    try:
        result = _parse(payload)
    except ValueError as exc:
        raise MalformedResponse("not JSON") from exc
    if not isinstance(result, dict) or "statusCode" not in result:
        # A bare value: 200, application/json, the value itself as the body.
        return HttpResponse(200, [("Content-Type", "application/json")], payload)
    response = HttpResponse(_status(result), _headers(result), _body(result))
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies must be a list")
    response.headers.extend(("Set-Cookie", str(c)) for c in cookies)
    if not any(k.lower() == "content-type" for k, _ in response.headers) and response.body:
        response.headers.append(("Content-Type", "text/plain; charset=utf-8"))
    return response
