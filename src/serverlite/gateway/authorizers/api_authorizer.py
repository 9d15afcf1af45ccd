"""One API's authorization step: API keys, the route's authorizer, usage plans.

The order follows API Gateway's: with the key in the ``x-api-key`` header
(ApiKeySourceType HEADER, the default) an unknown key is refused before any
authorizer runs; with ApiKeySourceType AUTHORIZER the key is the Lambda
authorizer's ``usageIdentifierKey``, so it is checked after. The key's usage plan
throttle and quota come last.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from serverlite.gateway import errors
from serverlite.gateway.auth import AuthRequest, AuthResult
from serverlite.gateway.authorizers.api_keys import ApiKeys, KeyGrant
from serverlite.gateway.authorizers.base import Decision, RouteAuthorizer, failed
from serverlite.gateway.authorizers.issuers import IssuerDirectory, issuers_from_env
from serverlite.gateway.authorizers.loopback import HttpGet, loopback_get
from serverlite.gateway.model import ApiSpec, AuthorizerSpec

if TYPE_CHECKING:
    from serverlite.gateway.authorizers.lambda_results import FunctionInvoker


class ApiAuthorizer:
    """The gateway's ``Authorizer`` for one API."""

    def __init__(
        self, api: ApiSpec, authorizers: Mapping[str, RouteAuthorizer], keys: ApiKeys
    ) -> None:
        self.api = api
        self.authorizers = dict(authorizers)
        self.keys = keys

    async def authorize(self, request: AuthRequest) -> AuthResult:
        api, route = self.api, request.route
        needs_key = route.api_key_required and api.kind == "REST"
        from_header = api.api_key_source != "AUTHORIZER"
        grant: KeyGrant | None = None
        if needs_key and from_header:
            grant = self.keys.identify(request.request.header("x-api-key"))
            if grant is None:
                return AuthResult(error=errors.FORBIDDEN)
        decision = Decision(AuthResult())
        if route.authorizer is not None:
            authorizer = self.authorizers.get(route.authorizer)
            if authorizer is None:
                decision = failed(api.kind, f"no authorizer named {route.authorizer!r}")
            else:
                decision = await authorizer.check(request)
            if decision.result.error is not None:
                return decision.result
        if needs_key and not from_header:
            grant = self.keys.identify(decision.usage_key)
            if grant is None:
                return AuthResult(error=errors.FORBIDDEN)
        if grant is not None:
            refused = self.keys.admit(grant)
            if refused is not None:
                return AuthResult(error=refused)
        return decision.result


def route_authorizer(
    spec: AuthorizerSpec,
    api: ApiSpec,
    invoker: FunctionInvoker,
    issuers: IssuerDirectory,
    clock: Callable[[], float],
) -> RouteAuthorizer | None:
    # Each kind is imported by an API that has one: an API without authorizers (most)
    # starts without their modules (JWT verification, policy documents, ...).
    if spec.type in ("TOKEN", "REQUEST"):
        from serverlite.gateway.authorizers.lambda_authorizer import LambdaAuthorizer

        return LambdaAuthorizer(spec, api.kind, invoker, clock)
    if spec.type == "JWT":
        from serverlite.gateway.authorizers.jwt_authorizer import JwtAuthorizer

        return JwtAuthorizer(spec, issuers, clock)
    if spec.type == "COGNITO":
        from serverlite.gateway.authorizers.cognito import CognitoAuthorizer

        return CognitoAuthorizer(spec, issuers, clock)
    return None


def build_authorizer(
    api: ApiSpec,
    invoker: FunctionInvoker,
    *,
    clock: Callable[[], float] = time.time,
    http_get: HttpGet = loopback_get,
    issuers: Mapping[str, str] | None = None,
) -> ApiAuthorizer:
    """The authorizer the gateway calls for ``api``'s protected routes.

    ``issuers`` maps JWT / Cognito issuers to the local base URLs that serve their
    keys; when omitted it is read from ``SERVERLITE_JWT_ISSUERS``.
    """
    directory = IssuerDirectory(issuers_from_env() if issuers is None else issuers, http_get, clock)
    authorizers: dict[str, RouteAuthorizer] = {}
    for name, spec in api.authorizers.items():
        authorizer = route_authorizer(spec, api, invoker, directory, clock)
        if authorizer is not None:
            authorizers[name] = authorizer
    return ApiAuthorizer(api, authorizers, ApiKeys(api, clock))
