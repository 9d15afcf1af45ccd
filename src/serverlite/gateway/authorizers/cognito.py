"""Cognito user pool authorizers of REST APIs (SAM's ``UserPoolArn``).

A pool's tokens are issued by ``https://cognito-idp.{region}.amazonaws.com/{poolId}``;
serverlite fetches that issuer's keys from the local URL it is mapped to (see
issuers.py). The token comes from the Identity header (Authorization by default),
as sent or with a ``Bearer `` prefix, and must pass the ValidationExpression when
there is one. Its signature, ``exp``/``nbf``/``iat`` and issuer must hold. When the
template declares the pool's app clients, an id token's ``aud`` (an access token's
``client_id``) must be one of them.

When the method has AuthorizationScopes, API Gateway treats the token as an access
token whose ``scope`` must hold one of them; otherwise as an identity token. Every
refusal is 401 ``{"message":"Unauthorized"}``. The function gets the claims,
stringified the Java way, in ``requestContext.authorizer.claims``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from serverlite.gateway.auth import AuthRequest, AuthResult
from serverlite.gateway.authorizers import identity, jwt_verify
from serverlite.gateway.authorizers.base import Decision, log, unauthorized
from serverlite.gateway.authorizers.claims import cognito_claims, token_scopes
from serverlite.gateway.authorizers.issuers import IssuerDirectory, cognito_issuer
from serverlite.gateway.authorizers.jwt_authorizer import strip_bearer
from serverlite.gateway.model import AuthorizerSpec
from serverlite.linear_regex import compile_linear


def client_ok(claims: Mapping[str, Any], clients: tuple[str, ...]) -> bool:
    if not clients:  # the template declares no app client of the pool: any client goes
        return True
    name = "client_id" if claims.get("token_use") == "access" else "aud"
    value = claims.get(name)
    return isinstance(value, str) and value in clients


class CognitoAuthorizer:
    def __init__(
        self,
        spec: AuthorizerSpec,
        issuers: IssuerDirectory,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self.issuers = issuers
        self._clock = clock
        self.pool_issuers = {cognito_issuer(arn) for arn in spec.user_pool_arns}
        source = spec.identity_sources[0] if spec.identity_sources else ""
        self.header = identity.header_name(source)
        self._regex = compile_linear(spec.validation_regex) if spec.validation_regex else None

    async def check(self, request: AuthRequest) -> Decision:
        raw = request.request.header(self.header)
        if not raw or (self._regex is not None and not self._regex.fullmatch(raw)):
            return unauthorized()
        token = strip_bearer(raw)
        try:
            issuer = jwt_verify.unverified_claims(token).get("iss")
            if not isinstance(issuer, str) or issuer not in self.pool_issuers:
                return unauthorized()
            keys = self.issuers.client(issuer)
            if keys is None:
                log.warning(
                    "authorizer %s: issuer %s is not mapped to a local URL", self.spec.name, issuer
                )
                return unauthorized()
            claims = await jwt_verify.verify(token, keys.key, self._clock())
        except jwt_verify.TokenError:
            return unauthorized()
        if not client_ok(claims, self.spec.audiences):
            return unauthorized()
        wanted = request.route.authorization_scopes
        if wanted and (
            claims.get("token_use") != "access" or not set(wanted) & set(token_scopes(claims))
        ):
            return unauthorized()
        return Decision(AuthResult(context={"claims": cognito_claims(claims)}))
