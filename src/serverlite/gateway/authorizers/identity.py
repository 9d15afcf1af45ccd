"""Identity sources: where an authorizer's inputs come from in a request.

REST writes them ``method.request.header.Auth``, ``method.request.querystring.q``,
``stageVariables.v`` and ``context.path.to.value``; HTTP APIs write ``$request.header.Auth``,
``$request.querystring.q``, ``$stageVariables.v`` and ``$context.x``. Both are resolved
here against the event API Gateway builds for the request (v1 or v2), so header
values are what the function would see: REST's last value of a repeated header, the
HTTP API's comma-joined ones. A source that is absent, null or empty is missing, and
a missing source means 401 without invoking the authorizer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _lookup(values: Any, name: str, *, fold_case: bool) -> str | None:
    if not isinstance(values, Mapping):
        return None
    if not fold_case:
        value = values.get(name)
        return value if isinstance(value, str) else None
    wanted = name.lower()
    found = None
    for key, value in values.items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            found = value
    return found


def _dotted(values: Any, path: str) -> str | None:
    for part in path.split("."):
        if not isinstance(values, Mapping):
            return None
        values = values.get(part)
    if values is None or isinstance(values, (Mapping, list)):
        return None
    if isinstance(values, bool):
        return "true" if values else "false"
    return str(values)


def resolve(source: str, event: Mapping[str, Any]) -> str | None:
    """The value of one identity source in ``event``; None when missing or empty."""
    text = source.strip().removeprefix("$").removeprefix("method.")
    header = request_header(source)
    value: str | None
    if header is not None:
        value = _lookup(event.get("headers"), header, fold_case=True)
    elif text.startswith("request.querystring."):
        name = text[len("request.querystring.") :]
        value = _lookup(event.get("queryStringParameters"), name, fold_case=False)
    elif text.startswith("stageVariables."):
        name = text[len("stageVariables.") :]
        value = _lookup(event.get("stageVariables"), name, fold_case=False)
    elif text.startswith("context."):
        value = _dotted(event.get("requestContext"), text[len("context.") :])
    else:
        value = None
    return value or None


def resolve_all(sources: Sequence[str], event: Mapping[str, Any]) -> list[str] | None:
    """Every source's value in order, or None when any one is missing."""
    values = []
    for source in sources:
        value = resolve(source, event)
        if value is None:
            return None
        values.append(value)
    return values


def request_header(source: str) -> str | None:
    """The lower-cased header name of a ``$request.header.X`` source, else None."""
    text = source.strip().removeprefix("$").removeprefix("method.")
    if text.startswith("request.header."):
        return text[len("request.header.") :].lower()
    return None


def header_name(source: str) -> str:
    """``Authorization`` of ``method.request.header.Authorization`` (TOKEN / Cognito)."""
    return source.rsplit(".", 1)[-1] if ".header." in source else "Authorization"
