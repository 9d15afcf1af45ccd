"""Queued async invocations run at most LOCAL_PARALLEL at once, however long the backlog."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from serverlite.invoker.async_queue import LOCAL_PARALLEL, AsyncQueue, Attempt, RetryPolicy

pytestmark = pytest.mark.integration


def test_a_backlog_runs_at_most_local_parallel_at_once(tmp_path: Path) -> None:
    events = 3 * LOCAL_PARALLEL
    running = peak = finished = 0

    async def runner(event: object) -> Attempt:
        nonlocal running, peak, finished
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.02)
        running -= 1
        finished += 1
        return Attempt("ok")

    async def finisher(*_: object) -> None:
        return None

    async def go() -> None:
        queue = AsyncQueue(tmp_path / "state.db")
        for i in range(events):
            queue.enqueue(f"r{i}", "Fn", b"{}")
        worker = asyncio.create_task(queue.run(runner, finisher, lambda _: RetryPolicy()))
        try:
            async with asyncio.timeout(30):
                while finished < events:
                    await asyncio.sleep(0.01)
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            queue.close()

    asyncio.run(go())
    assert peak == LOCAL_PARALLEL
    assert LOCAL_PARALLEL >= 8
