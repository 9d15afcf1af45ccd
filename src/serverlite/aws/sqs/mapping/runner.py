"""Every enabled SQS mapping's poller, run under ``serverlite up`` (not ``invoke``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from serverlite.invoker import Invoker

from ..engine import SqsEngine
from .poller import DEFAULT_MAX_POLLERS, MappingPoller
from .spec import SqsMapping


class MappingRunner:
    def __init__(self, engine: SqsEngine, invoker: Invoker, mappings: Sequence[SqsMapping]) -> None:
        self.engine = engine
        self.invoker = invoker
        self.mappings = [m for m in mappings if m.enabled]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for mapping in self.mappings:
            poller = MappingPoller(mapping, self.engine, self.invoker, self._max_pollers(mapping))
            self._tasks.append(asyncio.create_task(poller.run()))

    def _max_pollers(self, mapping: SqsMapping) -> int:
        limit = mapping.max_concurrency or DEFAULT_MAX_POLLERS
        fn = self.invoker.app.find_function(mapping.function)
        reserved = fn.reserved_concurrency if fn is not None else None
        if reserved is not None:  # more pollers than the reservation would only be throttled
            limit = min(limit, max(1, reserved))
        return min(limit, self.invoker.concurrency.account_limit)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
