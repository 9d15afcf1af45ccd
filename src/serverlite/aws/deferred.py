"""The AWS endpoint while some services are not built yet.

``serverlite up`` serves as soon as the services the template uses exist; the others
(importing and opening a service costs start-up time) are built right after. Until
then, a JSON request (``X-Amz-Target``) to a built service is answered by an endpoint
of the built services; any other request (another service, the query or rest
protocols, S3, the console, the health check) first builds the rest, then goes to
the endpoint of every service, as all requests do afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send


class UntilBuilt:
    def __init__(
        self,
        early: ASGIApp,
        prefixes: frozenset[str],
        *,
        pending: Callable[[], bool],
        build: Callable[[], None],
        full: Callable[[], ASGIApp],
    ) -> None:
        self._early = early
        self._prefixes = prefixes  # X-Amz-Target prefixes of the services built first
        self._pending = pending
        self._build = build
        self._make_full = full
        self._full: ASGIApp | None = None
        self.last_request = 0.0  # time.monotonic() of the latest request

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._full is None:
            self.last_request = time.monotonic()
            if self._pending() and self._for_early(scope):
                await self._early(scope, receive, send)
                return
            self._build()
            self._full = self._make_full()
        await self._full(scope, receive, send)

    def _for_early(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope["path"] != "/":
            return False
        for name, value in scope["headers"]:
            if name == b"x-amz-target":
                return value.split(b".", 1)[0].decode("latin-1") in self._prefixes
        return False
