"""Token claims as API Gateway hands them to functions: every value a string.

HTTP APIs (``requestContext.authorizer.jwt.claims``) print values the way Go does:
numbers plainly (``"1700000000"``), booleans ``"true"``, arrays space-separated in
brackets (``"[a b]"``), objects as ``"map[k:v]"``.

REST Cognito authorizers (``requestContext.authorizer.claims``) print ``exp`` and
``iat`` as Java dates (``"Tue Apr 04 18:39:39 UTC 2023"``), other numbers plainly,
booleans ``"true"``, and join arrays with commas (``cognito:groups``: ``"a,b"``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

_JAVA_DATE = "%a %b %d %H:%M:%S UTC %Y"
_DATE_CLAIMS = ("exp", "iat")


def _number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _go(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number(value)
    if value is None:
        return "<nil>"
    if isinstance(value, list):
        return "[" + " ".join(_go(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{k}:{_go(value[k])}" for k in sorted(value)) + "]"
    return str(value)


def http_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): _go(v) for k, v in claims.items()}


def _java(name: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if name in _DATE_CLAIMS:
            return time.strftime(_JAVA_DATE, time.gmtime(value))
        return _number(value)
    if isinstance(value, list):
        return ",".join(_java("", v) for v in value)
    if isinstance(value, Mapping):
        return json.dumps(value, separators=(",", ":"))
    return "" if value is None else str(value)


def cognito_claims(claims: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): _java(str(k), v) for k, v in claims.items()}


def token_scopes(claims: Mapping[str, Any]) -> list[str]:
    """The scopes a token carries: ``scope`` (space-separated) or ``scp`` (list or string)."""
    for name in ("scope", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            return value.split()
        if isinstance(value, list):
            return [str(v) for v in value]
    return []
