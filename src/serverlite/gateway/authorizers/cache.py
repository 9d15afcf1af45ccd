"""Authorizer result caching, keyed by the identity source values, with a TTL.

As on AWS the cache belongs to the authorizer, not to a route: a policy cached for
one request is evaluated again against every later request's own method ARN.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

MAX_ENTRIES = 10_000  # a bound, so a client cycling tokens cannot grow memory forever


class TtlCache(Generic[T]):
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[tuple[str, ...], tuple[float, T]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.ttl_s > 0

    def get(self, key: tuple[str, ...]) -> T | None:
        if not self.enabled:
            return None
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, value = entry
        if self._clock() >= expires:
            del self._entries[key]
            return None
        return value

    def put(self, key: tuple[str, ...], value: T) -> None:
        if not self.enabled:
            return
        self._entries[key] = (self._clock() + self.ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
