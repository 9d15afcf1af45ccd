"""Function logs: log groups and streams of events, stored durably like CloudWatch Logs.

Writes go through one background thread, batched (``batch_writer.BatchWriter``): an
invocation never waits on SQLite, and the writer gathers what arrives within
``LINGER_S`` of a first write into one transaction. A write only extends a list,
grouped by log stream; the writer wakes once per batch and takes everything at once
(waking it per invocation, or handing it items one by one, cost the serving thread
more than the insert itself).
Events are stored as one row (a JSON list of [timestamp, message]) per log stream
and transaction: one insert per environment per ``LINGER_S``, not per line or
invocation. Reads open their own connection, so ``serverlite logs --follow``
in another process sees events as they are committed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from serverlite import fastjson, state
from serverlite.observe.batch_writer import BatchedStore, BatchWriter, read_connection

LogEvent = tuple[int, str]
LINGER_S = 0.05

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


_Pending = dict[tuple[str, str], list[LogEvent]]  # (log group, log stream) -> events


def _insert(conn: sqlite3.Connection, pending: _Pending) -> None:
    # One row per log stream per transaction: the invocations of a warm environment
    # arrive in order, so their events simply concatenate.
    conn.executemany(
        "INSERT INTO log_batches (log_group, log_stream, first_ts, last_ts, events)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (group, stream, events[0][0], events[-1][0], fastjson.dumps(events).decode())
            for (group, stream), events in pending.items()
        ],
    )


class LogStore(BatchedStore):
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        # Events waiting for the writer are grouped by (log group, log stream): a
        # write is a list extend, and the writer takes them all at once.
        self._writer: BatchWriter[_Pending] | None = None
        if read_only:  # a reader (`serverlite logs`) neither creates nor changes anything
            state.check_database(path)
        else:
            self._writer = BatchWriter(
                path, _SCHEMA, _insert, empty=dict, name="serverlite-logs", linger_s=LINGER_S
            )

    # -- writing -----------------------------------------------------------------
    def write(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        if not events or self._writer is None:
            return
        with self._writer as pending:
            batch = pending.get((group, stream))
            if batch is None:
                pending[(group, stream)] = list(events)
            else:
                batch.extend(events)

    def clear(self) -> None:
        """Every stored event gone (a test's reset): what was written so far lands first,
        then goes with the rest."""
        self._clear("log_batches")

    # -- reading -----------------------------------------------------------------
    def read(
        self, group: str, *, since_ms: int = 0, after_id: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        """Events of a log group at or after ``since_ms``, from batches after ``after_id``."""
        conn = read_connection(self.path)
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

    def latest(self, group: str, batches: int) -> list[StoredEvent]:
        """The events of a log group's newest ``batches`` batches (by their last event,
        the group's index read backwards), oldest first: a tail without the history."""
        conn = read_connection(self.path)
        try:
            rows = conn.execute(
                "SELECT id, log_group, log_stream, events FROM log_batches"
                " WHERE log_group = ? ORDER BY last_ts DESC LIMIT ?",
                (group, batches),
            ).fetchall()
        finally:
            conn.close()
        return [
            StoredEvent(batch_id, log_group, stream, ts, message)
            for batch_id, log_group, stream, events in sorted(rows)
            for ts, message in json.loads(events)
        ]

    def groups(self) -> list[str]:
        conn = read_connection(self.path)
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
