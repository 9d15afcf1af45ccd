"""Calling a Lambda authorizer, and what its answer means.

AWS's rules, kept here:
- An error whose message is exactly ``Unauthorized`` (``raise Exception("Unauthorized")``)
  is a 401; any other error, a timeout or an answer that is not a valid policy is
  REST's 500 AuthorizerConfigurationException (HTTP APIs: 500 Internal Server Error).
- A policy answer needs ``policyDocument``; ``principalId``, ``context`` and
  ``usageIdentifierKey`` are optional. REST context values must be strings, numbers
  or booleans (anything else is a 500), and reach the function stringified:
  ``1`` as ``"1"``, ``true`` as ``"true"``; so does principalId.
- A simple answer (HTTP APIs, payload 2.0, EnableSimpleResponses) is
  ``{"isAuthorized": bool, "context": {...}}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from serverlite.errors import InvokeError
from serverlite.gateway.authorizers.policy import PolicyError, Statement, parse_policy
from serverlite.invoker import InvokeRequest, InvokeResult
from serverlite.observe.tracing import current_header


class FunctionInvoker(Protocol):
    async def invoke(self, req: InvokeRequest) -> InvokeResult: ...


class AuthorizerFailed(Exception):
    """The authorizer failed or answered nonsense: a 500."""


class Unauthorized(Exception):
    """The authorizer said ``Unauthorized``: a 401."""


@dataclass(frozen=True)
class PolicyGrant:
    statements: tuple[Statement, ...]
    principal_id: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    usage_key: str | None = None


@dataclass(frozen=True)
class SimpleGrant:
    authorized: bool
    context: Mapping[str, Any] = field(default_factory=dict)


Grant = PolicyGrant | SimpleGrant


async def call_authorizer(invoker: FunctionInvoker, function: str, event: Any) -> Any:
    """Invoke the authorizer; its decoded answer, or Unauthorized / AuthorizerFailed."""
    try:
        result = await invoker.invoke(
            InvokeRequest(
                function=function,
                payload=json.dumps(event).encode(),
                trace_id=current_header(),  # the request's trace, when it is traced
            )
        )
    except InvokeError as exc:  # not found, throttled, ...
        raise AuthorizerFailed(f"{exc.code}: {exc.message}") from exc
    try:
        answer = json.loads(result.payload) if result.payload else None
    except ValueError as exc:
        raise AuthorizerFailed("the authorizer's answer is not JSON") from exc
    if result.function_error:
        message = answer.get("errorMessage") if isinstance(answer, dict) else None
        if message == "Unauthorized":
            raise Unauthorized
        raise AuthorizerFailed(f"the authorizer failed: {message!r}")
    return answer


def _stringify(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_policy_answer(answer: Any, *, rest: bool) -> PolicyGrant:
    if not isinstance(answer, Mapping):
        raise AuthorizerFailed("the authorizer's answer is not an object")
    try:
        statements = parse_policy(answer.get("policyDocument"))
    except PolicyError as exc:
        raise AuthorizerFailed(str(exc)) from exc
    context = answer.get("context") or {}
    if not isinstance(context, Mapping):
        raise AuthorizerFailed("context must be an object")
    if rest:
        for key, value in context.items():
            if value is None or not isinstance(value, (str, int, float, bool)):
                raise AuthorizerFailed(f"context value {key!r} is not a string, number or boolean")
        context = {str(k): _stringify(v) for k, v in context.items()}
    principal = answer.get("principalId")
    usage_key = answer.get("usageIdentifierKey")
    return PolicyGrant(
        statements=statements,
        principal_id=_stringify(principal) if principal is not None else None,
        context=dict(context),
        usage_key=str(usage_key) if isinstance(usage_key, str) and usage_key else None,
    )


def parse_simple_answer(answer: Any) -> SimpleGrant:
    if not isinstance(answer, Mapping) or not isinstance(answer.get("isAuthorized"), bool):
        raise AuthorizerFailed("a simple response needs a boolean isAuthorized")
    context = answer.get("context") or {}
    if not isinstance(context, Mapping):
        raise AuthorizerFailed("context must be an object")
    return SimpleGrant(authorized=answer["isAuthorized"], context=dict(context))
