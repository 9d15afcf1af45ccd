"""Turn what a function returned into the HTTP response API Gateway would send.

Payload 1.0 (REST, and HTTP APIs on 1.0) is an object of the proxy response's fields
only; anything else is a malformed Lambda proxy response. Payload 2.0 also accepts a
bare JSON value, sent as a 200 application/json body, and ``cookies`` that become
Set-Cookie headers.

REST's quirks, observed (LocalStack's AWS-validated snapshot of
test_aws_proxy_response_payload_format_validation): ``{"headers": {...}}`` without a
``statusCode`` is a 200; a name in both ``multiValueHeaders`` and ``headers`` sends
the multi values first, then the single one, under the multi-value spelling
(``tesT-Multi: value-multi, value-solo``).
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


class _ReadAgain(Exception):
    """orjson's reading of a header value differs from the stdlib's: read it again."""


_V1_FIELDS = frozenset(
    ("statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies")
)


def _headers(result: dict[str, Any], scalar: Callable[[Any], str]) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    single = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedResponse("headers must be objects")
    spelling: dict[str, str] = {}
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse("multiValueHeaders values must be lists")
        spelling[name.lower()] = name
        headers.extend((str(name), scalar(v)) for v in values)
    for name, value in single.items():
        # The same name in both: merged, spelt as multiValueHeaders spells it.
        spelt = spelling.get(name.lower(), name) if spelling else name
        headers.append((str(spelt), scalar(value)))
    return headers


def _scalar(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    raise MalformedResponse("header values must be strings")


def _scalar_orjson(value: Any) -> str:
    if isinstance(value, float):
        raise _ReadAgain  # NaN, or an integer beyond 64 bits orjson read as a float
    return _scalar(value)


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


def _status(result: dict[str, Any], default: int | None = None) -> int:
    status = result.get("statusCode", default)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedResponse("statusCode must be an HTTP status code")
    return status


def _read(payload: bytes) -> tuple[Any, bool]:
    """The function's result, and whether orjson read it (else the stdlib did).

    orjson refuses NaN and lone surrogates (the stdlib reads them) and reads integers
    beyond 64 bits as floats. Header values and cookies are the only places where a
    number is turned into text, so a float met there sends the payload to the stdlib
    again (``_ReadAgain``); everywhere else both readings mean the same.
    """
    try:
        return orjson.loads(payload), True
    except orjson.JSONDecodeError:
        return json.loads(payload), False


def _proxy_result(payload: bytes) -> tuple[Any, bool]:
    try:
        return _read(payload)
    except ValueError as exc:
        raise MalformedResponse("not JSON") from exc


def from_v1(
    payload: bytes, binary: Callable[[str | None], bool] | None = None, rest: bool = False
) -> HttpResponse:
    """``binary(content_type)`` says whether a base64 body goes out decoded (REST only);
    ``rest``: a missing ``statusCode`` means 200 (HTTP APIs on 1.0 require it)."""
    try:
        return _from_v1(*_proxy_result(payload), binary, rest)
    except _ReadAgain:
        return _from_v1(json.loads(payload), False, binary, rest)


def _from_v1(
    result: Any, by_orjson: bool, binary: Callable[[str | None], bool] | None, rest: bool
) -> HttpResponse:
    if not isinstance(result, dict):
        raise MalformedResponse("not an object")
    if not _V1_FIELDS.issuperset(result):
        raise MalformedResponse(f"unexpected fields {sorted(set(result) - _V1_FIELDS)}")
    headers = _headers(result, _scalar_orjson if by_orjson else _scalar)
    decode = True
    if binary is not None and result.get("isBase64Encoded"):
        content_type = next((v for k, v in headers if k.lower() == "content-type"), None)
        decode = binary(content_type)
    status = _status(result, 200 if rest else None)
    if rest and not any(k.lower() == "content-type" for k, _ in headers):
        # REST sends application/json when the function named no type, body or not.
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(status, headers, _body(result, decode))


def from_v2(payload: bytes) -> HttpResponse:
    try:
        return _from_v2(*_proxy_result(payload), payload)
    except _ReadAgain:
        return _from_v2(json.loads(payload), False, payload)


def _from_v2(result: Any, by_orjson: bool, payload: bytes) -> HttpResponse:
    if not isinstance(result, dict) or "statusCode" not in result:
        # A bare value: 200, application/json, the value itself as the body.
        return HttpResponse(200, [("Content-Type", "application/json")], payload)
    scalar = _scalar_orjson if by_orjson else _scalar
    response = HttpResponse(_status(result), _headers(result, scalar), _body(result))
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResponse("cookies must be a list")
    response.headers.extend(("Set-Cookie", _cookie(c, by_orjson)) for c in cookies)
    if not any(k.lower() == "content-type" for k, _ in response.headers) and response.body:
        response.headers.append(("Content-Type", "text/plain; charset=utf-8"))
    return response


def _cookie(value: Any, by_orjson: bool) -> str:
    if by_orjson and isinstance(value, float):
        raise _ReadAgain
    return str(value)
