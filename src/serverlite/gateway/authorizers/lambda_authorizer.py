"""Lambda authorizers: REST TOKEN and REQUEST, and HTTP API REQUEST (payload 1.0 / 2.0).

Order, as on AWS: identity sources first (missing: 401, the function is not invoked;
a TOKEN that fails ValidationExpression likewise), then the cache, then the function.
A REST policy is evaluated against the request's method ARN: explicit Deny 403,
no matching Allow 403. An HTTP API answers 403 Forbidden to any refusal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from serverlite.gateway import errors
from serverlite.gateway.auth import AuthRequest, AuthResult
from serverlite.gateway.authorizers import identity, lambda_events
from serverlite.gateway.authorizers.base import Decision, failed, unauthorized
from serverlite.gateway.authorizers.cache import TtlCache
from serverlite.gateway.authorizers.lambda_results import (
    AuthorizerFailed,
    FunctionInvoker,
    Grant,
    PolicyGrant,
    Unauthorized,
    call_authorizer,
    parse_policy_answer,
    parse_simple_answer,
)
from serverlite.gateway.authorizers.policy import evaluate
from serverlite.gateway.model import ApiKind, AuthorizerSpec
from serverlite.linear_regex import compile_linear


class LambdaAuthorizer:
    def __init__(
        self,
        spec: AuthorizerSpec,
        kind: ApiKind,
        invoker: FunctionInvoker,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.kind = kind
        self.invoker = invoker
        self._clock = clock
        self._cache: TtlCache[Grant] = TtlCache(spec.ttl_s, clock)
        self._regex = compile_linear(spec.validation_regex) if spec.validation_regex else None

    async def check(self, request: AuthRequest) -> Decision:
        spec = self.spec
        if spec.function is None:
            return failed(self.kind, f"authorizer {spec.name} has no function")
        if self.kind == "REST" and spec.type == "TOKEN":
            token = request.request.header(identity.header_name(spec.identity_sources[0]))
            if not token or (self._regex is not None and not self._regex.fullmatch(token)):
                return unauthorized()
            key: tuple[str, ...] | None = (token,)
            event: Any = lambda_events.token_event(token, request.method_arn)
        else:
            version = "1.0" if self.kind == "REST" else spec.payload_version
            proxy = lambda_events.request_event(request, self._clock(), version)
            values = identity.resolve_all(spec.identity_sources, proxy)
            if values is None:
                return unauthorized()
            key = tuple(values) if values else None  # no sources: nothing to cache by
            event = self._request_event(proxy, request.method_arn, values)
        grant = self._cache.get(key) if key is not None else None
        latency_ms = 0
        if grant is None:
            started = time.perf_counter()
            try:
                grant = self._parse(await call_authorizer(self.invoker, spec.function, event))
            except Unauthorized:
                return unauthorized()
            except AuthorizerFailed as exc:
                return failed(self.kind, f"{spec.name}: {exc}")
            latency_ms = round((time.perf_counter() - started) * 1000)
            if key is not None:
                self._cache.put(key, grant)
        return self._decide(grant, request, latency_ms)

    def _request_event(self, proxy: dict[str, Any], arn: str, values: list[str]) -> Any:
        if self.kind == "REST":
            return lambda_events.rest_request_event(proxy, arn)
        if self.spec.payload_version == "1.0":
            return lambda_events.http_v1_event(proxy, arn, values)
        return lambda_events.http_v2_event(proxy, arn, values)

    def _parse(self, answer: Any) -> Grant:
        if (
            self.kind == "HTTP"
            and self.spec.payload_version != "1.0"
            and self.spec.simple_responses
        ):
            return parse_simple_answer(answer)
        return parse_policy_answer(answer, rest=self.kind == "REST")

    def _decide(self, grant: Grant, request: AuthRequest, latency_ms: int) -> Decision:
        if isinstance(grant, PolicyGrant):
            outcome = evaluate(grant.statements, request.method_arn)
            if self.kind == "REST":
                if outcome == "EXPLICIT_DENY":
                    return Decision(AuthResult(error=errors.EXPLICIT_DENY))
                if outcome == "IMPLICIT_DENY":
                    return Decision(AuthResult(error=errors.IMPLICIT_DENY))
                # REST flattens principalId and the context into requestContext.authorizer.
                context: dict[str, Any] = dict(grant.context)
                if grant.principal_id is not None:
                    context["principalId"] = grant.principal_id
                context["integrationLatency"] = latency_ms
                return Decision(AuthResult(context=context), usage_key=grant.usage_key)
            allowed = outcome == "ALLOW"
        else:
            allowed = grant.authorized
        if not allowed:
            return Decision(AuthResult(error=errors.FORBIDDEN))
        return Decision(AuthResult(context={"lambda": dict(grant.context)}))
