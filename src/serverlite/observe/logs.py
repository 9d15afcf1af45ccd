"""Function logs: log groups and streams of events, stored durably like CloudWatch Logs.

Writes go through one background thread, batched: an invocation never waits on
SQLite, and the writer gathers what arrives within ``LINGER_S`` of a first write into
one transaction. A write only extends a list, grouped by log stream; the writer wakes
once per batch and takes everything at once (waking it per invocation, or handing it
items one by one, cost the serving thread more than the insert itself).
Events are stored as one row (a JSON list of [timestamp, message]) per log stream
and transaction: one insert per environment per ``LINGER_S``, not per line or
invocation. Reads open their own connection, so ``serverlite logs --follow``
in another process sees events as they are committed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from serverlite import fastjson, state

LogEvent = tuple[int, str]
LINGER_S = 0.05
log = logging.getLogger("serverlite.logs")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS log_batches (
    id INTEGER PRIMARY KEY,
    log_group TEXT NOT NULL,
    log_stream TEXT NOT NULL,
    first_ts INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    events TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_batches_group_ts ON log_batches (log_group, last_ts);
"""


@dataclass(frozen=True)
class StoredEvent:
    id: int  # the batch (invocation) it was stored with; increases with time
    log_group: str
    log_stream: str
    timestamp_ms: int
    message: str


def _encode(events: Sequence[LogEvent]) -> str:
    return fastjson.dumps(events).decode()


class LogStore:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        if read_only:  # a reader (`serverlite logs`) neither creates nor changes anything
            state.check_database(path)
        else:
            conn = state.connect(path)
            conn.executescript(_SCHEMA)
            conn.close()
        # Events waiting for the writer, already grouped by (log group, log stream):
        # a write is a list extend, and the writer takes them all at once.
        self._pending: dict[tuple[str, str], list[LogEvent]] = {}
        self._waiters: list[threading.Event] = []
        self._closing = False
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- writing -----------------------------------------------------------------
    def write(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        if not events:
            return
        with self._lock:
            first = not self._pending
            batch = self._pending.get((group, stream))
            if batch is None:
                self._pending[(group, stream)] = list(events)
            else:
                batch.extend(events)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._writer, name="serverlite-logs", daemon=True
                )
                self._thread.start()
            if first:  # the writer sleeps until a batch begins, then lingers
                self._wake.set()

    def flush(self, timeout: float = 10.0) -> None:
        """Block until everything written so far is committed."""
        with self._lock:
            if self._thread is None:
                return
            done = threading.Event()
            self._waiters.append(done)
            self._wake.set()
        done.wait(timeout)

    def clear(self) -> None:
        """Every stored event gone (a test's reset): what was written so far lands first,
        then goes with the rest."""
        self.flush()
        conn = state.connect(self.path)
        try:
            with conn:
                conn.execute("DELETE FROM log_batches")
        finally:
            conn.close()

    def close(self) -> None:
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._closing = True
            self._wake.set()
        thread.join(timeout=10)
        with self._lock:
            self._thread = None
            self._closing = False

    def _writer(self) -> None:
        conn = state.connect(self.path, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                if not self._waiters and not self._closing:
                    time.sleep(LINGER_S)  # let a burst gather into one transaction
                with self._lock:
                    pending, self._pending = self._pending, {}
                    waiters, self._waiters = self._waiters, []
                    stop = self._closing
                    self._wake.clear()
                # One row per log stream per transaction: the invocations of a warm
                # environment arrive in order, so their events simply concatenate.
                if pending:
                    self._insert(
                        conn,
                        [
                            (group, stream, events[0][0], events[-1][0], _encode(events))
                            for (group, stream), events in pending.items()
                        ],
                    )
                for waiter in waiters:
                    waiter.set()
                if stop:
                    return
        finally:
            conn.close()

    def _insert(
        self, conn: sqlite3.Connection, batch: list[tuple[str, str, int, int, str]]
    ) -> None:
        # A failed write loses these events, never the writer: later ones still land.
        try:
            with conn:
                conn.execute("BEGIN")
                conn.executemany(
                    "INSERT INTO log_batches (log_group, log_stream, first_ts, last_ts, events)"
                    " VALUES (?, ?, ?, ?, ?)",
                    batch,
                )
        except sqlite3.Error as exc:
            log.warning("could not store %d log batches: %s", len(batch), exc)
            with contextlib.suppress(sqlite3.Error):
                conn.executescript(_SCHEMA)  # the database may have been reset under us

    # -- reading -----------------------------------------------------------------
    def read(
        self, group: str, *, since_ms: int = 0, after_id: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        """Events of a log group at or after ``since_ms``, from batches after ``after_id``."""
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30.0)
        try:
            rows = conn.execute(
                "SELECT id, log_group, log_stream, events FROM log_batches"
                " WHERE log_group = ? AND last_ts >= ? AND id > ? ORDER BY id LIMIT ?",
                (group, since_ms, after_id, limit),
            ).fetchall()
        finally:
            conn.close()
        return [
            StoredEvent(batch_id, log_group, stream, ts, message)
            for batch_id, log_group, stream, events in rows
            for ts, message in json.loads(events)
            if ts >= since_ms
        ]

    def groups(self) -> list[str]:
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30.0)
        try:
            return [r[0] for r in conn.execute("SELECT DISTINCT log_group FROM log_batches")]
        finally:
            conn.close()

    def follow(
        self,
        group: str,
        *,
        since_ms: int,
        poll_s: float = 0.25,
        stop: threading.Event | None = None,
    ) -> Iterator[StoredEvent]:
        """Yield stored events, then new ones as they arrive, until ``stop`` is set."""
        last = 0
        while stop is None or not stop.is_set():
            events = self.read(group, since_ms=since_ms, after_id=last)
            yield from events
            if events:
                last = events[-1].id
            elif stop is not None:
                stop.wait(poll_s)
            else:
                threading.Event().wait(poll_s)
