"""Fakes for the authorizer tests: requests, an invoker, a JWKS server, a clock. No I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from serverlite.gateway.auth import AuthRequest
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.model import ApiSpec, AuthorizerSpec, RouteSpec
from serverlite.invoker import InvokeRequest, InvokeResult

REGION, ACCOUNT, API_ID = "us-east-1", "123456789012", "abc123"


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def api_spec(
    kind: str = "REST",
    authorizers: Mapping[str, AuthorizerSpec] | None = None,
    routes: tuple[RouteSpec, ...] = (),
    **fields: Any,
) -> ApiSpec:
    return ApiSpec(
        logical_id="Api",
        stack_path=(),
        api_id=API_ID,
        kind=kind,  # type: ignore[arg-type]
        stage="Prod" if kind == "REST" else "$default",
        routes=routes,
        authorizers=dict(authorizers or {}),
        **fields,
    )


def auth_request(
    api: ApiSpec,
    route: RouteSpec,
    *,
    method: str = "GET",
    path: str = "/items/42",
    headers: list[tuple[str, str]] | None = None,
    query: str = "",
    path_parameters: dict[str, str] | None = None,
) -> AuthRequest:
    return AuthRequest(
        api=api,
        route=route,
        request=HttpRequest(method=method, path=path, query=query, headers=headers or []),
        path=path,
        path_parameters=path_parameters or {},
        request_id="req-1",
        method_arn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{API_ID}/{api.stage}/{method}{path}",
    )


@dataclass
class FakeInvoker:
    """Answers every invocation with ``answer`` (or fails, when ``error`` is set)."""

    answer: Any = None
    error: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)

    async def invoke(self, req: InvokeRequest) -> InvokeResult:
        self.events.append(json.loads(req.payload))
        self.functions.append(req.function)
        if self.error is not None:
            body = {"errorMessage": self.error, "errorType": "Exception"}
            return InvokeResult(200, "r", json.dumps(body).encode(), function_error="Unhandled")
        payload = self.answer if isinstance(self.answer, bytes) else json.dumps(self.answer)
        return InvokeResult(200, "r", payload.encode() if isinstance(payload, str) else payload)


# -- keys and tokens -----------------------------------------------------------------


@dataclass
class SigningKey:
    kid: str
    alg: str
    private: Any
    jwk: dict[str, Any]

    def sign(self, claims: Mapping[str, Any], **header: Any) -> str:
        return jwt.encode(
            dict(claims), self.private, algorithm=self.alg, headers={"kid": self.kid, **header}
        )

    def public_pem(self) -> bytes:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def rsa_key(kid: str = "rsa-1") -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "RS256", private, {**jwk, "kid": kid, "alg": "RS256", "use": "sig"})


def ec_key(kid: str = "ec-1") -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "ES256", private, {**jwk, "kid": kid, "use": "sig"})


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_token(claims: Mapping[str, Any], kid: str) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{b64url(json.dumps(dict(claims)).encode())}."


def hmac_token(claims: Mapping[str, Any], secret: bytes, kid: str) -> str:
    """HS256 "signed" with ``secret``: the algorithm-confusion attack uses the public key."""
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64url(json.dumps(dict(claims)).encode())
    mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(mac)}"


class FakeIssuer:
    """An OpenID issuer's discovery document and JWKS, served by a fake http_get."""

    def __init__(self, base: str, *keys: SigningKey, discovery: bool = True) -> None:
        self.base = base
        self.keys = list(keys)
        self.discovery = discovery
        self.fetched: list[str] = []

    async def get(self, url: str) -> bytes:
        self.fetched.append(url)
        if url == f"{self.base}/.well-known/openid-configuration" and self.discovery:
            return json.dumps({"issuer": self.base, "jwks_uri": f"{self.base}/keys"}).encode()
        if url in (f"{self.base}/keys", f"{self.base}/.well-known/jwks.json"):
            return json.dumps({"keys": [k.jwk for k in self.keys]}).encode()
        raise OSError(f"404 {url}")
