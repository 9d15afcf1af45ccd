"""Which local URL serves an issuer's keys.

An issuer on loopback (``http://127.0.0.1:9000/pool``: a local identity service, a
test's key server) serves its own discovery document and JWKS. Any other issuer
(``https://cognito-idp.{region}.amazonaws.com/{poolId}``, an Auth0 tenant, ...) must
be mapped to a loopback base URL; serverlite never fetches keys off this machine.
The map is an argument of ``build_authorizer``; ``serverlite up`` reads it from the
``SERVERLITE_JWT_ISSUERS`` environment variable, a JSON object
``{"<issuer>": "<local base URL>"}``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping

from serverlite.errors import ConfigError
from serverlite.gateway.authorizers.jwks import JwksClient
from serverlite.gateway.authorizers.loopback import HttpGet, is_loopback_url

ISSUERS_ENV = "SERVERLITE_JWT_ISSUERS"


def issuers_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    raw = (os.environ if environ is None else environ).get(ISSUERS_ENV, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{ISSUERS_ENV} must be a JSON object: {exc}") from exc
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ConfigError(f'{ISSUERS_ENV} must map issuers to URLs: {{"<issuer>": "<url>"}}')
    return dict(value)


def cognito_issuer(user_pool_arn: str) -> str:
    """``arn:aws:cognito-idp:{region}:{account}:userpool/{poolId}`` -> its token issuer."""
    parts = user_pool_arn.split(":", 5)
    region = parts[3] if len(parts) == 6 else "us-east-1"
    pool_id = user_pool_arn.rsplit("/", 1)[-1]
    return f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


class IssuerDirectory:
    """One JWKS client per issuer, for the issuers that can be reached on this machine."""

    def __init__(
        self,
        overrides: Mapping[str, str],
        http_get: HttpGet,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.overrides = {k.rstrip("/"): v for k, v in overrides.items()}
        self._get = http_get
        self._clock = clock
        self._clients: dict[str, JwksClient] = {}

    def local_base(self, issuer: str) -> str | None:
        base = self.overrides.get(issuer.rstrip("/"), issuer)
        return base if is_loopback_url(base) else None

    def client(self, issuer: str) -> JwksClient | None:
        base = self.local_base(issuer)
        if base is None:
            return None
        client = self._clients.get(base)
        if client is None:
            client = self._clients[base] = JwksClient(base, self._get, self._clock)
        return client
