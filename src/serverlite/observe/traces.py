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
import math
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from serverlite import fastjson, state
from serverlite.observe.batch_writer import BatchedStore, BatchWriter, read_connection
from serverlite.observe.segment_records import Record, document_count, documents

RETENTION_S = 30 * 24 * 3600  # X-Ray keeps trace data 30 days
MAX_SEGMENTS = 500_000
_PRUNE_EVERY = 64  # batches between retention sweeps
LINGER_S = 0.5

# One row per trace per write batch: a request's gateway, Lambda and function segments
# usually arrive together, so a request costs one insert, not three. ``docs`` is a JSON
# array of documents (objects) and records (arrays); ``count`` the documents they are.
#
# A trace is found by its id without an index on every row's id: an X-Ray trace id
# carries the epoch second its trace began (``1-{8 hex digits}-...``), and nearly every
# row starts within a second of it (the request or invocation that made the id), so
# the start index finds those (``_WINDOW``). Only a row that starts elsewhere (a
# trace continued later: an SQS delivery, a retry, an id a client sent) is ``stray``
# and indexed by its id: a random insert into a B-tree of trace ids cost the writer
# more than the rest of the row. Rows kept from before ``stray`` existed are all stray.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS trace_batches (
    seq INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    start REAL NOT NULL,
    count INTEGER NOT NULL,
    docs TEXT NOT NULL,
    stray INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX IF NOT EXISTS trace_batches_start ON trace_batches (start);
CREATE INDEX IF NOT EXISTS trace_batches_stray ON trace_batches (trace_id) WHERE stray = 1;
"""
# A row is found through the start index when it starts within [s - 1, s + 2) of its
# id's second s: its start's whole second is s - 1, s or s + 1 (a request that began
# just before the second its id was made in, or that ran into the next).
_WINDOW = (-1.0, 2.0)
_CHUNK = 500  # ids per query (SQLite's limit on parameters is 999 in old builds)
_INSERT = "INSERT INTO trace_batches (trace_id, start, count, docs, stray) VALUES (?, ?, ?, ?, ?)"
_ROWS = 100  # rows an insert writes (SQLite's limit on parameters: 999 in old builds)
_INSERT_MANY = _INSERT + ", (?, ?, ?, ?, ?)" * (_ROWS - 1)
_PER_INSERT = 5 * _ROWS

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
        if not read_only:
            _migrate(path)
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
                if start < row[0]:  # noqa: PLR1730 (no builtin call per item)
                    row[0] = start
                row[1] += count
                row[2].append(item)
        dumps = fastjson.dumps
        values: list[Any] = []  # the rows' columns, one after another
        second: int | None = None
        near: tuple[str, ...] = ()
        for trace_id, (start, count, group) in by_trace.items():
            if int(start) != second:  # a batch spans a second or two: made once each
                second = int(start)
                near = (
                    (f"{second - 1:08x}", f"{second:08x}", f"{second + 1:08x}")
                    if second > 0
                    else ()
                )
            # 0 or 1, not a bool: sqlite3 adapts a bool (an exception raised and
            # cleared looking for __conform__) at several times the cost of the row.
            stray = 0 if trace_id[2:10] in near else 1  # see _WINDOW
            values += (trace_id, float(start), count, dumps(group).decode(), stray)
        # _ROWS rows a statement: one step, not one per row (each with its own halt
        # and reset, and the interpreter's lock given up and taken back around it).
        whole = len(values) - len(values) % _PER_INSERT
        for at in range(0, whole, _PER_INSERT):
            conn.execute(_INSERT_MANY, values[at : at + _PER_INSERT])
        if whole < len(values):
            rest = values[whole:]
            conn.executemany(_INSERT, [rest[at : at + 5] for at in range(0, len(rest), 5)])
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
            rows = _rows(conn, ids)
        finally:
            conn.close()
        for _, (trace_id, docs) in sorted(rows.items()):  # by seq: as they arrived
            trace = found.setdefault(trace_id, [])
            for item in json.loads(docs):
                if isinstance(item, list):  # a record: its documents
                    trace.extend(documents(item))
                else:
                    trace.append(item)
        return found


def _rows(conn: sqlite3.Connection, ids: list[str]) -> dict[int, tuple[str, str]]:
    """The rows of the traces ``ids`` by seq: the strays through their index, the rest
    near the second each id names (through the start index, nearby ids in one range)."""
    rows: dict[int, tuple[str, str]] = {}

    def select(where: str, params: Sequence[object]) -> None:
        sql = f"SELECT seq, trace_id, docs FROM trace_batches WHERE {where}"
        for seq, trace_id, docs in conn.execute(sql, params):
            rows[seq] = (trace_id, docs)

    columns = {row[1] for row in conn.execute("PRAGMA table_info(trace_batches)")}
    if "stray" not in columns:  # a store from before (read only): every id is indexed
        for part in _chunks(ids):
            select(f"trace_id IN ({','.join('?' * len(part))})", part)
        return rows
    for part in _chunks(ids):
        select(f"trace_id IN ({','.join('?' * len(part))}) AND stray = 1", part)
    low, high = _WINDOW
    for first, last, part in _runs(ids):
        marks = ",".join("?" * len(part))
        select(
            f"start >= ? AND start < ? AND trace_id IN ({marks})",
            (first + low, last + high, *part),
        )
    return rows


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for chunk in range(0, len(ids), _CHUNK):
        yield ids[chunk : chunk + _CHUNK]


def _runs(ids: list[str]) -> Iterator[tuple[int, int, list[str]]]:
    """Ids by the second they name, in runs whose windows touch (a chunk at most):
    (first second, last second, ids)."""
    run: list[str] = []
    first = last = 0
    for second, trace_id in sorted((s, i) for i in ids if (s := id_second(i)) is not None):
        if run and (second - last > _WINDOW[1] - _WINDOW[0] or len(run) == _CHUNK):
            yield first, last, run
            run = []
        if not run:
            first = second
        last = second
        run.append(trace_id)
    if run:
        yield first, last, run


def id_second(trace_id: str) -> int | None:
    """The epoch second an X-Ray trace id was made in (its 8 hex digits after ``1-``,
    in the lower case serverlite and the SDKs write), or None."""
    digits = trace_id[2:10]
    if len(digits) != 8 or digits.strip("0123456789abcdef"):
        return None
    return int(digits, 16)


def _migrate(path: Path) -> None:
    """A store written before rows were ``stray``: every row it has is (still found by
    its id), and the index of every row's id goes."""
    conn = state.connect(path)
    try:
        columns = {row[1] for row in conn.execute("PRAGMA table_info(trace_batches)")}
        if columns and "stray" not in columns:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    "ALTER TABLE trace_batches ADD COLUMN stray INTEGER NOT NULL DEFAULT 1"
                )
                conn.execute("DROP INDEX IF EXISTS trace_batches_trace")
                conn.execute(
                    "CREATE INDEX trace_batches_stray ON trace_batches (trace_id) WHERE stray = 1"
                )
    finally:
        conn.close()


def _start(document: Document) -> float:
    # The daemon takes any JSON: a start that is no finite number counts as 0 (a NaN
    # would fail the batch's insert, a string the writer).
    value = document.get("start_time")
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return 0.0
