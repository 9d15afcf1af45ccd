"""The trace store: X-Ray segment documents, durable in SQLite, bounded like X-Ray.

A document is a segment (``{"trace_id", "id", "name", "start_time", "end_time", ...}``)
or an independent subsegment (``"type": "subsegment"`` with ``parent_id``), as the
X-Ray daemon and PutTraceSegments take them; ``trace_assembly`` puts subsegments back
into their parents when a trace is read. The segments serverlite makes itself
(gateway, Lambda, AWS calls) arrive as records (``segment_records``) and are stored as
such: they become documents when read. X-Ray keeps traces 30 days; so does this
store, and at most ``max_segments`` documents besides (the oldest go first).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from serverlite import fastjson
from serverlite.observe.batch_writer import BatchedStore, BatchWriter, read_connection
from serverlite.observe.segment_records import Record, document_count, documents

RETENTION_S = 30 * 24 * 3600  # X-Ray keeps trace data 30 days
MAX_SEGMENTS = 500_000
_PRUNE_EVERY = 64  # batches between retention sweeps
LINGER_S = 0.5

# One row per trace per write batch: a request's gateway, Lambda and function segments
# usually arrive together, so a request costs one insert, not three. ``docs`` is a JSON
# array of documents (objects) and records (arrays); ``count`` the documents they are.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS trace_batches (
    seq INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    start REAL NOT NULL,
    count INTEGER NOT NULL,
    docs TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trace_batches_trace ON trace_batches (trace_id);
CREATE INDEX IF NOT EXISTS trace_batches_start ON trace_batches (start);
"""

Document = dict[str, Any]
Item = Document | Record


class TraceStore(BatchedStore):
    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        retention_s: float = RETENTION_S,
        max_segments: int = MAX_SEGMENTS,
        read_only: bool = False,
    ) -> None:
        self.path = path
        self._clock = clock
        self._retention_s = retention_s
        self._max_segments = max_segments
        self._batches = 0
        # A reader (`serverlite traces`) neither creates nor changes anything.
        self._writer: BatchWriter[list[Item]] | None = (
            None
            if read_only
            # Traces are read by people and tests, not at once: a longer linger makes
            # fewer, larger transactions while requests stream in.
            else BatchWriter(
                path,
                _SCHEMA,
                self._insert,
                empty=list,
                name="serverlite-traces",
                linger_s=LINGER_S,
            )
        )

    # -- writing -----------------------------------------------------------------
    def put(self, document: Document) -> None:
        """Store one segment or subsegment document (never changed after this call)."""
        if self._writer is not None:
            self._writer.add(document)

    def record(self, item: Record) -> None:
        """Store one record of segments serverlite made (``segment_records``)."""
        if self._writer is not None:
            self._writer.add(item)

    def clear(self) -> None:
        """Every stored trace gone (a test's reset), those still being written too."""
        self._clear("trace_batches")

    def _insert(self, conn: sqlite3.Connection, items: list[Item]) -> None:
        # [earliest start, document count, items] by trace, made in one pass: a batch
        # holds a row or two for each request served while it gathered.
        by_trace: dict[str, list[Any]] = {}
        for item in items:
            # A record is (kind, trace id, earliest start, ...); a document is a dict.
            if isinstance(item, dict):
                trace_id, start, count = item["trace_id"], _start(item), 1
            else:
                trace_id, start, count = item[1], item[2], document_count(item)
            row = by_trace.get(trace_id)
            if row is None:
                by_trace[trace_id] = [start, count, [item]]
            else:
                row[0] = min(row[0], start)
                row[1] += count
                row[2].append(item)
        dumps = fastjson.dumps
        conn.executemany(
            "INSERT INTO trace_batches (trace_id, start, count, docs) VALUES (?, ?, ?, ?)",
            [
                (trace_id, float(start), count, dumps(group).decode())
                for trace_id, (start, count, group) in by_trace.items()
            ],
        )
        self._batches += 1
        if self._batches % _PRUNE_EVERY == 1:
            self._prune(conn)

    def _prune(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "DELETE FROM trace_batches WHERE start < ?", (self._clock() - self._retention_s,)
        )
        (count,) = conn.execute("SELECT coalesce(sum(count), 0) FROM trace_batches").fetchone()
        if count > self._max_segments:  # the oldest batches go until the cap holds
            (cut,) = conn.execute(
                "SELECT seq FROM (SELECT seq, sum(count) OVER (ORDER BY seq DESC) AS newer"
                " FROM trace_batches) WHERE newer > ? ORDER BY seq DESC LIMIT 1",
                (self._max_segments,),
            ).fetchone()
            conn.execute("DELETE FROM trace_batches WHERE seq <= ?", (cut,))

    # -- reading -----------------------------------------------------------------
    def trace_ids(self, start: float, end: float, limit: int = 10_000) -> list[str]:
        """Traces with a document starting in [start, end], the newest first."""
        conn = read_connection(self.path)
        try:
            rows = conn.execute(
                "SELECT trace_id, max(start) AS last FROM trace_batches"
                " WHERE start >= ? AND start <= ? GROUP BY trace_id ORDER BY last DESC LIMIT ?",
                (start, end, limit),
            ).fetchall()
        finally:
            conn.close()
        return [row[0] for row in rows]

    def documents(self, trace_ids: Iterable[str]) -> Mapping[str, list[Document]]:
        """Every stored document of each trace, in the order they arrived."""
        ids = list(dict.fromkeys(trace_ids))
        found: dict[str, list[Document]] = {}
        if not ids:
            return found
        conn = read_connection(self.path)
        try:
            for chunk in range(0, len(ids), 500):
                part = ids[chunk : chunk + 500]
                marks = ",".join("?" * len(part))
                for trace_id, docs in conn.execute(
                    f"SELECT trace_id, docs FROM trace_batches WHERE trace_id IN ({marks})"
                    " ORDER BY seq",
                    part,
                ):
                    trace = found.setdefault(trace_id, [])
                    for item in json.loads(docs):
                        if isinstance(item, list):  # a record: its documents
                            trace.extend(documents(item))
                        else:
                            trace.append(item)
        finally:
            conn.close()
        return found


def _start(document: Document) -> float:
    return float(document.get("start_time") or 0.0)
