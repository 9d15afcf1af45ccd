"""Throttling as API Gateway does it: token buckets (rate per second, burst capacity).

Limits apply per stage (MethodSettings "/*" "*", DefaultRouteSettings), per route
(RouteSettings, MethodSettings for one resource), per usage plan key, and for the
account (10,000 requests/s with a burst of 5,000 by default; an adjustable quota on
AWS, and ``serverlite up --api-account-rate/--api-account-burst`` here). One
``Throttles`` serves every API of the application, so the account's bucket is shared.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from serverlite.gateway.model import ThrottleSpec

ACCOUNT_LIMIT = ThrottleSpec(rate=10_000.0, burst=5_000)


class TokenBucket:
    def __init__(self, spec: ThrottleSpec, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = spec.rate
        self.capacity = float(spec.burst)
        self.tokens = float(spec.burst)
        self._clock = clock
        self._last = clock()

    def take(self) -> bool:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._last) * self.rate)
        self._last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Throttles:
    """All buckets of the application's APIs, created on first use."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, account: ThrottleSpec = ACCOUNT_LIMIT
    ) -> None:
        self.account = account
        self._clock = clock
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}

    def allow(self, key: tuple[str, ...], spec: ThrottleSpec | None) -> bool:
        if spec is None:
            return True
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(spec, self._clock)
        return bucket.take()
