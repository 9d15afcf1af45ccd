"""profiles' view of two other services: identity (service tokens) and locations.

Both are reached over their HTTP APIs only. A location is worth waiting for only so
long: the whole fetch (a token when the cached one is near expiry, then the
location) runs under one deadline, and whatever is not done by then counts as
"unavailable", so a profile page answers in bounded time even when locations hangs.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any
from urllib.parse import quote

from profiles.calls import Reply, call
from profiles.domain import UNAVAILABLE, ServiceToken, location_view, service_token_from

Call = Callable[..., Reply]
Credentials = Callable[[], tuple[str, str]]

# Calls that outlive their deadline finish (or time out) here, off the request's path.
_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="locations-call")


class ServiceTokens:
    """Client-credentials tokens from identity, cached until a minute before they expire."""

    def __init__(
        self,
        token_url: str,
        credentials: Credentials,
        scope: str = "locations:read",
        clock: Callable[[], float] = time.time,
        http: Call = call,
    ) -> None:
        self.token_url = token_url
        self.credentials = credentials
        self.scope = scope
        self.clock = clock
        self.http = http
        self._token: ServiceToken | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def get(self, timeout_s: float) -> str | None:
        with self._lock:
            if self._token is not None and self._token.fresh(self.clock()):
                return self._token.value
            client_id, secret = self.credentials()
            basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
            self.fetches += 1
            reply = self.http(
                "POST",
                self.token_url,
                headers={
                    "Authorization": f"Basic {basic}",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
                data=f"grant_type=client_credentials&scope={quote(self.scope)}".encode(),
                timeout_s=timeout_s,
            )
            if reply.status != 200:
                return None
            try:
                self._token = service_token_from(reply.body, self.clock())
            except ValueError:
                return None
            return self._token.value

    def forget(self) -> None:
        with self._lock:
            self._token = None


class LocationsClient:
    def __init__(
        self,
        base_url: str,
        tokens: ServiceTokens,
        budget_s: float = 1.5,
        http: Call = call,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self.budget_s = budget_s
        self.http = http
        self.clock = clock

    def location_of(self, user_id: str) -> dict[str, Any]:
        """The location as a profile page shows it; never takes longer than the budget."""
        deadline = self.clock() + self.budget_s
        future = _pool.submit(self._fetch, user_id, deadline)
        try:
            return future.result(timeout=self.budget_s)
        except FutureTimeout:
            return dict(UNAVAILABLE)

    def _fetch(self, user_id: str, deadline: float) -> dict[str, Any]:
        for attempt in range(2):
            left = deadline - self.clock()
            token = self.tokens.get(left) if left > 0 else None
            left = deadline - self.clock()
            if token is None or left <= 0:
                return dict(UNAVAILABLE)
            reply = self.http(
                "GET",
                f"{self.base_url}/locations/{quote(user_id, safe='')}",
                headers={"Authorization": f"Bearer {token}"},
                timeout_s=left,
            )
            if reply.status == 401 and attempt == 0:
                # Refused at the gateway: expired early, or signed by a key since dropped.
                self.tokens.forget()
                continue
            return location_view(reply.status, reply.body, user_id)
        return dict(UNAVAILABLE)
