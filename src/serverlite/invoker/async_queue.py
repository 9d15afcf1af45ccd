"""Durable queue of asynchronous (Event) invocations, with Lambda's retry behaviour.

An Event invoke is acknowledged (202) only after its row is committed, so it survives
a kill -9; a background worker runs due rows and deletes each when it is finished
(at-least-once, as on AWS). What happens after an attempt follows Lambda's
asynchronous invocation rules:

- a function error is retried ``MaximumRetryAttempts`` times (0-2, default 2),
  about 1 minute after the first failure and 2 minutes after the second;
- a throttle (no concurrency to spare) is retried with back-off from 1 s doubling
  to 5 minutes, for as long as the event is younger than ``MaximumEventAgeInSeconds``;
- an event older than ``MaximumEventAgeInSeconds`` (60-21,600, default 6 h) is
  dropped with the condition ``EventAgeExceeded``;
- the finisher receives every final outcome (``Success``, ``RetriesExhausted``,
  ``EventAgeExceeded``) for destinations and dead-letter queues.

At most ``LOCAL_PARALLEL`` (four per CPU core, at least eight) queued invocations run
at once. AWS would scale a function's environments far wider for a backlog; on one
machine, environments past a few per core only share the same cores, each with its
own cold start and its own database connections, and a burst of events would
otherwise fork dozens of them.

Time can be scaled for tests: with ``time_scale=60`` a 1-minute retry delay (and the
event-age limit) passes in 1 second. Real time (1.0) is the default.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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
    due_at REAL NOT NULL,
    last_response BLOB,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS async_invocations_due ON async_invocations (due_at);
"""
THROTTLE_BACKOFF_MAX_S = 300.0
RETRY_DELAYS_S = (60.0, 120.0)  # after the first and the second failed attempt
LOCAL_PARALLEL = max(8, 4 * (os.cpu_count() or 2))


@dataclass(frozen=True)
class QueuedEvent:
    request_id: str
    function: str
    payload: bytes
    trace_id: str | None
    enqueued_at: float
    attempts: int  # attempts that ran the function
    throttles: int
    last_response: bytes | None = None  # the last attempt's response payload
    last_error: str | None = None  # the last attempt's function error ("Unhandled")


@dataclass(frozen=True)
class Attempt:
    """What one attempt came to."""

    status: Literal["ok", "error", "throttled", "disabled", "gone"]
    payload: bytes = b""
    function_error: str | None = None
    executed_version: str = "$LATEST"


Condition = Literal["Success", "RetriesExhausted", "EventAgeExceeded"]


@dataclass(frozen=True)
class RetryPolicy:
    maximum_retry_attempts: int = 2
    maximum_event_age_s: float = 21_600.0


Runner = Callable[[QueuedEvent], Awaitable[Attempt]]
Finisher = Callable[[QueuedEvent, Condition, Attempt | None], Awaitable[None]]
PolicyFor = Callable[[str], RetryPolicy]


class AsyncQueue:
    def __init__(
        self, path: Path, clock: Callable[[], float] = time.time, time_scale: float = 1.0
    ) -> None:
        self._conn = state.connect(path)
        self._conn.executescript(_SCHEMA)
        columns = {row[1] for row in self._conn.execute("PRAGMA table_info(async_invocations)")}
        for column, kind in (("last_response", "BLOB"), ("last_error", "TEXT")):
            if column not in columns:  # a state directory from an earlier version
                self._conn.execute(f"ALTER TABLE async_invocations ADD COLUMN {column} {kind}")
        self._clock = clock
        self.time_scale = time_scale
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

    def truncate(self) -> None:
        """Forget the invocations waiting (not those running now): a test's reset."""
        running = list(self._inflight)
        marks = ",".join("?" * len(running))
        self._conn.execute(
            f"DELETE FROM async_invocations WHERE request_id NOT IN ({marks})", running
        )

    def wake(self) -> None:
        """Look at what is due now (the clock moved forward)."""
        self._wakeup.set()

    def pending(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM async_invocations").fetchone()[0])

    def _due(self, limit: int) -> list[QueuedEvent]:
        rows = self._conn.execute(
            "SELECT request_id, function, payload, trace_id, enqueued_at, attempts, throttles,"
            " last_response, last_error FROM async_invocations WHERE due_at <= ?"
            " ORDER BY due_at LIMIT ?",
            (self._clock(), limit + len(self._inflight)),
        ).fetchall()
        events = [
            QueuedEvent(
                r[0],
                r[1],
                bytes(r[2]),
                r[3],
                r[4],
                r[5],
                r[6],
                bytes(r[7]) if r[7] is not None else None,
                r[8],
            )
            for r in rows
        ]
        return [e for e in events if e.request_id not in self._inflight][:limit]

    def _next_due_in(self) -> float | None:
        row = self._conn.execute("SELECT MIN(due_at) FROM async_invocations").fetchone()
        return None if row[0] is None else max(0.0, row[0] - self._clock())

    async def run(
        self,
        runner: Runner,
        finisher: Finisher,
        policy: PolicyFor,
        max_parallel: int = LOCAL_PARALLEL,
        capacity: Callable[[str], bool] | None = None,
    ) -> None:
        """Work the queue forever (cancel to stop).

        ``capacity(function)`` says whether the function has concurrency to spare now:
        events of a function at its limit wait for a running one to finish rather than
        being tried and throttled (a throttle costs the event a growing back-off).
        """
        try:
            while True:
                self._wakeup.clear()
                waiting_for_capacity = False
                for event in self._due(max(0, max_parallel - len(self._inflight))):
                    if capacity is not None and not capacity(event.function):
                        waiting_for_capacity = True
                        continue
                    self._inflight.add(event.request_id)
                    task = asyncio.create_task(self._run_one(runner, finisher, policy, event))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                    # Let the invocation take its concurrency slot before the next check.
                    await asyncio.sleep(0)
                wait = 1.0 if waiting_for_capacity else self._next_due_in()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._wakeup.wait(), None if wait is None else max(wait, 0.01)
                    )
        finally:
            for task in list(self._tasks):
                task.cancel()

    def _age(self, event: QueuedEvent) -> float:
        """Event age in policy seconds (scaled time)."""
        return (self._clock() - event.enqueued_at) * self.time_scale

    async def _run_one(
        self, runner: Runner, finisher: Finisher, policy: PolicyFor, event: QueuedEvent
    ) -> None:
        rules = policy(event.function)
        try:
            if self._age(event) > rules.maximum_event_age_s:
                await self._finish(finisher, event, "EventAgeExceeded", None)
                return
            attempt = await runner(event)
            await self._after(finisher, rules, event, attempt)
        except Exception:
            log.exception("async invocation %s of %s failed", event.request_id, event.function)
            self._delete(event.request_id)
        finally:
            self._inflight.discard(event.request_id)
            self._wakeup.set()

    async def _after(
        self, finisher: Finisher, rules: RetryPolicy, event: QueuedEvent, attempt: Attempt
    ) -> None:
        if attempt.status == "gone":  # the function left the template
            self._delete(event.request_id)
        elif attempt.status == "ok":
            await self._finish(finisher, event, "Success", attempt)
        elif attempt.status == "disabled":  # reserved concurrency 0: no retries
            await self._finish(finisher, event, "RetriesExhausted", None)
        elif attempt.status == "throttled":
            delay = min(THROTTLE_BACKOFF_MAX_S, 2.0**event.throttles)
            self._reschedule(event, delay, throttled=True)
        elif event.attempts + 1 > rules.maximum_retry_attempts:
            ran = _replace_attempts(event, event.attempts + 1)
            await self._finish(finisher, ran, "RetriesExhausted", attempt)
        else:
            delay = RETRY_DELAYS_S[min(event.attempts, len(RETRY_DELAYS_S) - 1)]
            self._reschedule(event, delay, attempt=attempt)

    def _reschedule(
        self,
        event: QueuedEvent,
        delay_s: float,
        *,
        throttled: bool = False,
        attempt: Attempt | None = None,
    ) -> None:
        due = self._clock() + delay_s / self.time_scale
        if throttled:
            self._conn.execute(
                "UPDATE async_invocations SET throttles = throttles + 1, due_at = ?"
                " WHERE request_id = ?",
                (due, event.request_id),
            )
        else:
            assert attempt is not None
            self._conn.execute(
                "UPDATE async_invocations SET attempts = attempts + 1, due_at = ?,"
                " last_response = ?, last_error = ? WHERE request_id = ?",
                (due, attempt.payload, attempt.function_error, event.request_id),
            )

    async def _finish(
        self, finisher: Finisher, event: QueuedEvent, condition: Condition, attempt: Attempt | None
    ) -> None:
        if attempt is None and event.last_response is not None:
            attempt = Attempt("error", event.last_response, event.last_error)
        try:
            await finisher(event, condition, attempt)
        finally:
            self._delete(event.request_id)

    def _delete(self, request_id: str) -> None:
        self._conn.execute("DELETE FROM async_invocations WHERE request_id = ?", (request_id,))

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._conn.close()


def _replace_attempts(event: QueuedEvent, attempts: int) -> QueuedEvent:
    return QueuedEvent(
        event.request_id,
        event.function,
        event.payload,
        event.trace_id,
        event.enqueued_at,
        attempts,
        event.throttles,
        event.last_response,
        event.last_error,
    )
