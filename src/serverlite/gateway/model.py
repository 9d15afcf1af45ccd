"""Frozen specs of the APIs a template declares, as the gateway serves them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ApiKind = Literal["REST", "HTTP"]

REST_TIMEOUT_MS = 29_000
HTTP_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda (TOKEN / REQUEST), JWT or Cognito authorizer."""

    name: str
    type: Literal["TOKEN", "REQUEST", "JWT", "COGNITO"]
    function: str | None = None  # authorizer function name (Lambda authorizers)
    identity_sources: tuple[str, ...] = ()  # e.g. "method.request.header.Authorization"
    ttl_s: int = 300
    validation_regex: str | None = None  # TOKEN authorizers
    payload_version: str = "1.0"  # HTTP API Lambda authorizers: 1.0 or 2.0
    simple_responses: bool = False  # HTTP API Lambda authorizers, payload 2.0
    issuer: str | None = None  # JWT
    audiences: tuple[str, ...] = ()  # JWT audiences / Cognito user pool client ids
    user_pool_arns: tuple[str, ...] = ()  # Cognito
    jwks_uri: str | None = None


@dataclass(frozen=True)
class CorsSpec:
    allow_origins: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    allow_credentials: bool = False
    max_age: int | None = None


@dataclass(frozen=True)
class ThrottleSpec:
    rate: float  # requests per second
    burst: int


@dataclass(frozen=True)
class RouteSpec:
    method: str  # GET, POST, ..., or ANY
    path: str  # /items/{id}, /{proxy+}; "$default" for HTTP APIs' default route
    function: str  # function name the route invokes
    event_name: str = ""
    authorizer: str | None = None  # AuthorizerSpec.name; None = open
    authorization_scopes: tuple[str, ...] = ()
    api_key_required: bool = False
    payload_version: str = "1.0"  # REST: always 1.0; HTTP: 2.0 by default
    timeout_ms: int = REST_TIMEOUT_MS
    request_model: Mapping[str, Any] | None = None  # {"Model": name, "Required": bool, ...}
    request_parameters: tuple[tuple[str, bool], ...] = ()  # (method.request.x.y, required)
    throttle: ThrottleSpec | None = None

    @property
    def route_key(self) -> str:
        return self.path if self.path == "$default" else f"{self.method} {self.path}"


@dataclass(frozen=True)
class UsagePlanSpec:
    throttle: ThrottleSpec | None = None
    quota_limit: int | None = None
    quota_period: str | None = None  # DAY | WEEK | MONTH


@dataclass(frozen=True)
class ApiSpec:
    logical_id: str
    stack_path: tuple[str, ...]
    api_id: str
    kind: ApiKind
    stage: str
    routes: tuple[RouteSpec, ...]
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    authorizers: Mapping[str, AuthorizerSpec] = field(default_factory=dict)
    cors: CorsSpec | None = None
    binary_media_types: tuple[str, ...] = ()
    throttle: ThrottleSpec | None = None  # stage-wide default
    models: Mapping[str, Any] = field(default_factory=dict)
    usage_plan: UsagePlanSpec | None = None
    api_keys: tuple[str, ...] = ()
    cors_preflight_auth: bool = False  # AddDefaultAuthorizerToCorsPreflight

    @property
    def qualified_id(self) -> str:
        return "/".join((*self.stack_path, self.logical_id))
