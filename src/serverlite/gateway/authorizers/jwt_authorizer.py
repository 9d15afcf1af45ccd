"""JWT authorizers of HTTP APIs (JwtConfiguration: issuer and audience).

As AWS checks them: the token (from ``$request.header.Authorization`` by default,
``Bearer `` prefix optional) must name a ``kid`` of the issuer's JWKS and be signed
by it; ``iss`` must be the configured issuer; ``aud`` must be one of the audiences
(``client_id`` is checked instead only when there is no ``aud``); ``exp``, ``nbf`` and
``iat`` must hold; and when the route has AuthorizationScopes, the token's ``scope``
(or ``scp``) must hold at least one of them.

Refusals are 401 ``{"message":"Unauthorized"}`` with a ``www-authenticate`` header
in AWS's form, ``Bearer scope="" error="invalid_token" error_description="..."``. AWS
documents one description word for word ("the token does not have a valid
audience"); the others are worded in the same style. A token without the route's
scopes is 403 ``{"message":"Forbidden"}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from serverlite.gateway import errors
from serverlite.gateway.auth import AuthRequest, AuthResult
from serverlite.gateway.authorizers import identity, jwt_verify, lambda_events
from serverlite.gateway.authorizers.base import Decision, log, unauthorized
from serverlite.gateway.authorizers.claims import http_claims, token_scopes
from serverlite.gateway.authorizers.issuers import IssuerDirectory
from serverlite.gateway.model import AuthorizerSpec

WWW_AUTHENTICATE = "www-authenticate"
DEFAULT_SOURCE = "$request.header.Authorization"


def strip_bearer(token: str) -> str:
    token = token.strip()
    return token[7:].strip() if token[:7].lower() == "bearer " else token


def challenge(description: str) -> tuple[tuple[str, str], ...]:
    value = f'Bearer scope="" error="invalid_token" error_description="{description}"'
    return ((WWW_AUTHENTICATE, value),)


def audience_ok(claims: Mapping[str, Any], audiences: Iterable[str]) -> bool:
    wanted = set(audiences)
    aud = claims.get("aud")
    if aud is not None:
        values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        return any(isinstance(a, str) and a in wanted for a in values)
    client_id = claims.get("client_id")
    return isinstance(client_id, str) and client_id in wanted


class JwtAuthorizer:
    def __init__(
        self,
        spec: AuthorizerSpec,
        issuers: IssuerDirectory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.issuers = issuers
        self._clock = clock
        self.source = spec.identity_sources[0] if spec.identity_sources else DEFAULT_SOURCE
        header = identity.request_header(self.source)
        # The v2 event moves Cookie out of the headers: that source resolves on the event.
        self._header = header if header != "cookie" else None

    def _identity(self, request: AuthRequest, now: float) -> str | None:
        if self._header is not None:
            # What the v2 event's headers would hold: repeated values comma-joined.
            name = self._header
            values = [v for k, v in request.request.headers if k.lower() == name]
            return ",".join(values) or None
        return identity.resolve(self.source, lambda_events.request_event(request, now, "2.0"))

    async def check(self, request: AuthRequest) -> Decision:
        spec, now = self.spec, self._clock()
        raw = self._identity(request, now)
        if raw is None:
            return unauthorized(((WWW_AUTHENTICATE, "Bearer"),))
        token = strip_bearer(raw)
        issuer = spec.issuer or ""
        try:
            if jwt_verify.unverified_claims(token).get("iss") != issuer:
                return unauthorized(challenge("the token does not have a valid issuer"))
            keys = self.issuers.client(issuer)
            if keys is None:
                log.warning("authorizer %s: issuer %s is not on this machine", spec.name, issuer)
                return unauthorized(challenge("the issuer's signing keys cannot be fetched"))
            claims = await jwt_verify.verify(token, keys.key, now)
        except jwt_verify.TokenError as exc:
            return unauthorized(challenge(str(exc)))
        if spec.audiences and not audience_ok(claims, spec.audiences):
            return unauthorized(challenge("the token does not have a valid audience"))
        scopes = token_scopes(claims)
        wanted = request.route.authorization_scopes
        if wanted and not set(wanted) & set(scopes):
            value = f'Bearer scope="{" ".join(wanted)}" error="insufficient_scope"'
            return Decision(
                AuthResult(error=errors.FORBIDDEN, headers=((WWW_AUTHENTICATE, value),))
            )
        jwt_context = {"claims": http_claims(claims), "scopes": scopes or None}
        if request.route.payload_version == "1.0":
            return Decision(AuthResult(context=jwt_context))
        return Decision(AuthResult(context={"jwt": jwt_context}))
