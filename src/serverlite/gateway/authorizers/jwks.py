"""An issuer's signing keys: OpenID discovery, then the JWKS, cached.

``{base}/.well-known/openid-configuration`` names ``jwks_uri`` (as AWS's JWT
authorizer reads it); when there is no discovery document, or it names a URL off
this machine, ``{base}/.well-known/jwks.json`` is used (where Cognito publishes
keys). Keys are kept until a token names an unknown ``kid``; then the set is fetched
again, at most once per ``refetch_interval_s``, so a stream of forged kids cannot
turn into a stream of fetches. Every URL fetched must be on loopback.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from serverlite.gateway.authorizers.base import log
from serverlite.gateway.authorizers.loopback import HttpGet, is_loopback_url

REFETCH_INTERVAL_S = 30.0
MAX_AGE_S = 3600.0


class JwksClient:
    def __init__(
        self,
        base_url: str,
        http_get: HttpGet,
        clock: Callable[[], float] = time.time,
        *,
        refetch_interval_s: float = REFETCH_INTERVAL_S,
        max_age_s: float = MAX_AGE_S,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._get = http_get
        self._clock = clock
        self.refetch_interval_s = refetch_interval_s
        self.max_age_s = max_age_s
        self._keys: dict[str, Mapping[str, Any]] = {}
        self._fetched_at: float | None = None
        self._lock: asyncio.Lock | None = None
        self.fetches = 0

    async def key(self, kid: str) -> Mapping[str, Any] | None:
        """The JWK with this ``kid``, fetching the set when stale or when ``kid`` is new."""
        now = self._clock()
        stale = self._fetched_at is None or now - self._fetched_at >= self.max_age_s
        unknown = kid not in self._keys and (
            self._fetched_at is None or now - self._fetched_at >= self.refetch_interval_s
        )
        if stale or unknown:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                # Another request may have refreshed while this one waited.
                if self._fetched_at is None or self._fetched_at < now:
                    await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        self._fetched_at = self._clock()
        self.fetches += 1
        try:
            url = await self._jwks_url()
            document = json.loads(await self._fetch(url))
        except (OSError, ValueError) as exc:
            log.warning("cannot fetch the signing keys of %s: %s", self.base_url, exc)
            return  # keep what we had; try again after the interval
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            log.warning("%s: the JWKS has no 'keys' list", self.base_url)
            return
        self._keys = {
            key["kid"]: key
            for key in keys
            if isinstance(key, dict) and isinstance(key.get("kid"), str)
        }

    async def _jwks_url(self) -> str:
        fallback = f"{self.base_url}/.well-known/jwks.json"
        try:
            config = json.loads(
                await self._fetch(f"{self.base_url}/.well-known/openid-configuration")
            )
        except (OSError, ValueError):
            return fallback
        uri = config.get("jwks_uri") if isinstance(config, dict) else None
        return uri if isinstance(uri, str) and is_loopback_url(uri) else fallback

    async def _fetch(self, url: str) -> bytes:
        if not is_loopback_url(url):  # whatever http_get was injected, stay on this machine
            raise ValueError(f"not a loopback URL: {url}")
        return await self._get(url)
