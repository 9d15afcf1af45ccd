"""Durable queue of asynchronous (Event) invocations.

An Event invoke is acknowledged (202) only after its row is committed, so it survives
a kill -9; a background worker runs due rows through the invoker and deletes each
when it is done (at-least-once, as on AWS). A throttled event goes back with a
growing delay, as Lambda retries throttled async events (1 s doubling to 5 min).
Retry policies, maximum event age and destinations belong to the async issue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from serverlite import state

log = logging.getLogger("serverlite.async")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS async_invocations (
    request_id TEXT PRIMARY KEY,
    function TEXT NOT NULL,
    payload BLOB NOT NULL,
    trace_id TEXT,
    enqueued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    throttles INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS async_invocations_due ON async_invocations (due_at);
"""
THROTTLE_BACKOFF_MAX_S = 300.0


@dataclass(frozen=True)
class QueuedEvent:
    request_id: str
    function: str
    payload: bytes
    trace_id: str | None
    enqueued_at: float
    attempts: int
    throttles: int


class Throttled(Exception):
    """Raised by the runner when the function has no concurrency to spare."""


Runner = Callable[[QueuedEvent], Awaitable[None]]


class AsyncQueue:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self._conn = state.connect(path)
        self._conn.executescript(_SCHEMA)
        self._clock = clock
        self._wakeup = asyncio.Event()
        self._inflight: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def enqueue(
        self, request_id: str, function: str, payload: bytes, trace_id: str | None = None
    ) -> None:
        now = self._clock()
        self._conn.execute(
            "INSERT INTO async_invocations (request_id, function, payload, trace_id,"
            " enqueued_at, due_at) VALUES (?, ?, ?, ?, ?, ?)",
            (request_id, function, payload, trace_id, now, now),
        )
        self._wakeup.set()

    def pending(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM async_invocations").fetchone()[0])

    def _due(self, limit: int) -> list[QueuedEvent]:
        rows = self._conn.execute(
            "SELECT request_id, function, payload, trace_id, enqueued_at, attempts, throttles"
            " FROM async_invocations WHERE due_at <= ? ORDER BY due_at LIMIT ?",
            (self._clock(), limit + len(self._inflight)),
        ).fetchall()
        return [
            QueuedEvent(r[0], r[1], bytes(r[2]), r[3], r[4], r[5], r[6])
            for r in rows
            if r[0] not in self._inflight
        ][:limit]

    def _next_due_in(self) -> float | None:
        row = self._conn.execute("SELECT MIN(due_at) FROM async_invocations").fetchone()
        return None if row[0] is None else max(0.0, row[0] - self._clock())

    async def run(self, runner: Runner, max_parallel: int = 64) -> None:
        """Work the queue forever (cancel to stop)."""
        try:
            while True:
                self._wakeup.clear()
                for event in self._due(max(0, max_parallel - len(self._inflight))):
                    self._inflight.add(event.request_id)
                    task = asyncio.create_task(self._run_one(runner, event))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                wait = self._next_due_in()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wakeup.wait(), None if wait is None else max(wait, 0.01)
                    )
        finally:
            for task in list(self._tasks):
                task.cancel()

    async def _run_one(self, runner: Runner, event: QueuedEvent) -> None:
        try:
            await runner(event)
        except Throttled:
            delay = min(THROTTLE_BACKOFF_MAX_S, 2.0**event.throttles)
            self._conn.execute(
                "UPDATE async_invocations SET throttles = throttles + 1, due_at = ?"
                " WHERE request_id = ?",
                (self._clock() + delay, event.request_id),
            )
        except Exception:
            log.exception("async invocation %s of %s failed", event.request_id, event.function)
            self._delete(event.request_id)
        else:
            self._delete(event.request_id)
        finally:
            self._inflight.discard(event.request_id)
            self._wakeup.set()

    def _delete(self, request_id: str) -> None:
        self._conn.execute("DELETE FROM async_invocations WHERE request_id = ?", (request_id,))

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()
