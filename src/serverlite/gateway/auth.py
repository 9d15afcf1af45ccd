"""The authorization step of the gateway: the interface the pipeline calls.

``Authorizers.authorize`` decides for one request whether the route's authorizer
lets it through, and what goes to the function as ``requestContext.authorizer``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from serverlite.gateway.errors import GatewayError
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.model import ApiSpec, RouteSpec


@dataclass(frozen=True)
class AuthRequest:
    api: ApiSpec
    route: RouteSpec
    request: HttpRequest
    path: str  # without the stage prefix
    path_parameters: dict[str, str]
    request_id: str
    method_arn: str  # arn:aws:execute-api:region:account:apiId/stage/METHOD/path


@dataclass(frozen=True)
class AuthResult:
    error: GatewayError | None = None  # None: allowed
    context: dict[str, Any] | None = None  # requestContext.authorizer
    message: str | None = None  # overrides the error's message (e.g. JWT reasons)
    headers: tuple[tuple[str, str], ...] = ()  # added to the error response (www-authenticate)


ALLOWED = AuthResult()  # shared: frozen, and the common case on every open route


class Authorizer(Protocol):
    async def authorize(self, request: AuthRequest) -> AuthResult: ...
