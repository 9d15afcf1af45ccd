"""The metric store: CloudWatch datapoints, aggregated in memory, durable in SQLite.

The metrics of every invocation and request are on the hot path: a metric's identity
(namespace, name, dimension sets, unit) is registered once (``metric_ids``) and
``record_values`` appends one (ids, time, values...) tuple for a whole invocation or
request, without a lock; the flush takes them apart a column at a time into per-minute
lists of values (orjson writes them: thousands of floats a flush). ``record`` (the
services' own metrics, EMF, PutMetricData) adds to the running statistic set of its
metric and period (a minute; a second for high-resolution metrics, StorageResolution
1). A writer thread flushes the sets every
``FLUSH_S`` as rows of (series, period start, sample count, sum, min, max, values);
the values are kept (up to ``MAX_VALUES`` a row) so percentiles can be answered.
One ``record`` may name several dimension sets (Lambda publishes Invocations by
FunctionName, by FunctionName and Resource, and for the whole account): they share
one statistic set until the flush writes a row for each.

Reads (``series``, ``datapoints``) flush first, so a metric recorded before the call
is counted, and read on their own connection. Timestamps come from the injected
clock, so a test's virtual clock (and alarms evaluated on it) see the same minutes.
CloudWatch keeps one-minute data 15 days; so does this store (older rows are pruned).
"""

from __future__ import annotations

import json
import operator
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path
from typing import Any

import orjson

from serverlite import state
from serverlite.observe.batch_writer import log, read_connection

Dimensions = tuple[tuple[str, str], ...]  # sorted (name, value) pairs
FLUSH_S = 1.0
MAX_VALUES = 1000  # values kept per row for percentiles (beyond: the statistic set only)
RETENTION_S = 15 * 24 * 3600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    dimensions TEXT NOT NULL,
    last_ts INTEGER NOT NULL DEFAULT 0,
    UNIQUE (namespace, name, dimensions)
);
CREATE TABLE IF NOT EXISTS points (
    series_id INTEGER NOT NULL,
    ts INTEGER NOT NULL,
    resolution INTEGER NOT NULL,
    count REAL NOT NULL,
    sum REAL NOT NULL,
    min REAL NOT NULL,
    max REAL NOT NULL,
    unit TEXT NOT NULL,
    vals TEXT
);
CREATE INDEX IF NOT EXISTS points_series_ts ON points (series_id, ts);
"""


def _values_text(values: list[float]) -> str:
    """A row's values as JSON: orjson writes a float's shortest repr as ``json`` does
    (and ~10x faster, with thousands a row), but null for what JSON cannot hold
    (EMF may send Infinity): those rows are written as ``json`` writes them."""
    text = orjson.dumps(values)
    if b"null" in text:
        return json.dumps(values)
    return text.decode()


def _minute(now: float) -> int:
    return int(now) - int(now) % 60


def dims(**pairs: str) -> Dimensions:
    return tuple(sorted(pairs.items()))


@dataclass(slots=True)
class Aggregate:
    """A statistic set (and its values, for percentiles)."""

    count: float = 0.0
    sum: float = 0.0
    min: float = float("inf")
    max: float = float("-inf")
    values: list[float] = field(default_factory=list)
    unit: str = "None"

    def add(self, value: float, count: float = 1.0) -> None:
        self.count += count
        self.sum += value * count
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        if len(self.values) < MAX_VALUES and count == 1.0:
            self.values.append(value)

    def add_set(self, count: float, total: float, low: float, high: float) -> None:
        self.count += count
        self.sum += total
        self.min = min(self.min, low)
        self.max = max(self.max, high)

    def add_values(self, values: list[float]) -> None:
        """Values each counted once, in order (as ``add`` one by one would)."""
        self.count += len(values)
        self.sum = reduce(operator.add, values, self.sum)
        self.min = min(self.min, *values)
        self.max = max(self.max, *values)
        room = MAX_VALUES - len(self.values)
        if room > 0:
            self.values.extend(values[:room])

    def merge(self, other: Aggregate) -> None:
        self.add_set(other.count, other.sum, other.min, other.max)
        room = MAX_VALUES - len(self.values)
        if room > 0:
            self.values.extend(other.values[:room])
        if self.unit == "None":
            self.unit = other.unit


@dataclass(frozen=True)
class Series:
    id: int
    namespace: str
    name: str
    dimensions: Dimensions


_Key = tuple[str, str, tuple[Dimensions, ...], int, int]  # ns, name, dim sets, ts, resolution
Metric = tuple[str, str, tuple[Dimensions, ...], str]  # namespace, name, dimension sets, unit


class MetricStore:
    def __init__(
        self, path: Path, *, clock: Callable[[], float] = time.time, read_only: bool = False
    ) -> None:
        self.path = path
        self.clock = clock
        if read_only:  # a reader (`serverlite metrics`) neither creates nor changes anything
            state.check_database(path)
        else:
            conn = state.connect(path)
            conn.executescript(_SCHEMA)
            conn.close()
        self._pending: dict[_Key, Aggregate] = {}
        # record_values: (metric ids, time, a value for each id), one tuple (kept until
        # the flush, each is one more object for the garbage collector's count: not
        # two), taken apart by the flush; the ids index _metrics. A deque: appending
        # and popping need no lock.
        self._recorded: deque[tuple[Any, ...]] = deque()
        self._metrics: list[Metric] = []
        self._metric_ids: dict[Metric, int] = {}
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._series: dict[tuple[str, str, Dimensions], int] = {}
        self._conn: sqlite3.Connection | None = None
        self._flushes = 0

    # -- recording ---------------------------------------------------------------------
    def record(
        self,
        namespace: str,
        name: str,
        dimension_sets: tuple[Dimensions, ...],
        value: float,
        unit: str = "None",
        *,
        timestamp: float | None = None,
        resolution: int = 60,
        count: float = 1.0,
    ) -> None:
        now = self.clock() if timestamp is None else timestamp
        ts = int(now) - int(now) % resolution
        key = (namespace, name, dimension_sets, ts, resolution)
        with self._lock:
            agg = self._pending.get(key)
            if agg is None:
                agg = self._pending[key] = Aggregate(unit=unit)
                if self._thread is None:
                    self._start()
            agg.add(value, count)

    def metric_ids(self, metrics: Sequence[Metric]) -> tuple[int, ...]:
        """Numbers for metrics that ``record_values`` records (the same metric, the
        same number, for as long as the store lives)."""
        with self._lock:
            ids = []
            for metric in metrics:
                found = self._metric_ids.get(metric)
                if found is None:
                    found = self._metric_ids[metric] = len(self._metrics)
                    self._metrics.append(metric)
                ids.append(found)
            return tuple(ids)

    def record_values(self, ids: tuple[int, ...], values: tuple[float, ...]) -> None:
        """A value for each metric of ``ids`` now, at a minute's resolution: one clock
        read and one append for a whole invocation's metrics (the flush sorts them)."""
        self._recorded.append((ids, self.clock(), *values))
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._start()

    def record_set(
        self,
        namespace: str,
        name: str,
        dimension_sets: tuple[Dimensions, ...],
        statistics: Aggregate,
        *,
        timestamp: float,
        resolution: int = 60,
    ) -> None:
        """A statistic set (PutMetricData's StatisticValues, or values with counts)."""
        ts = int(timestamp) - int(timestamp) % resolution
        key = (namespace, name, dimension_sets, ts, resolution)
        with self._lock:
            agg = self._pending.get(key)
            if agg is None:
                agg = self._pending[key] = Aggregate(unit=statistics.unit)
                if self._thread is None:
                    self._start()
            agg.merge(statistics)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="serverlite-metrics", daemon=True)
        self._thread.start()

    # -- flushing ----------------------------------------------------------------------
    def _run(self) -> None:
        while not self._closing:
            self._wake.wait(FLUSH_S)
            self._wake.clear()
            self.flush()

    def flush(self) -> None:
        """Write every pending statistic set (the caller's thread does it)."""
        with self._flushing:
            with self._lock:
                pending, self._pending = self._pending, {}
            for (metric, ts), values in self._take_recorded().items():
                namespace, name, sets, unit = self._metrics[metric]
                key = (namespace, name, sets, ts, 60)
                agg = pending.get(key)
                if agg is None:
                    agg = pending[key] = Aggregate(unit=unit)
                agg.add_values(values)
            if not pending:
                return
            try:
                self._write(pending)
            except sqlite3.Error as exc:
                log.warning("metrics: could not store %d datapoints: %s", len(pending), exc)

    def _take_recorded(self) -> dict[tuple[int, int], list[float]]:
        """What record_values recorded so far, as values by (metric id, minute)."""
        recorded = self._recorded
        # Rows by their ids (the same tuple for every invocation of a function, every
        # request to an API: grouped by identity, no tuple hashed a row), then taken
        # apart a column at a time (zip), usually all in one minute.
        groups: dict[int, list[tuple[Any, ...]]] = {}
        take = recorded.popleft
        while recorded:  # one added meanwhile is taken now or by the next flush
            row = take()
            listed = groups.get(id(row[0]))
            if listed is None:
                groups[id(row[0])] = [row]
            else:
                listed.append(row)
        found: dict[tuple[int, int], list[float]] = {}
        for listed in groups.values():
            ids, times, *columns = zip(*listed, strict=True)
            ts = _minute(min(times))
            minutes: list[tuple[int, list[tuple[Any, ...]]]] = [(ts, columns)]
            if ts != _minute(max(times)):  # seldom: a flush's rows in two minutes
                by_minute: dict[int, list[tuple[Any, ...]]] = {}
                for row in listed:
                    by_minute.setdefault(_minute(row[1]), []).append(row[2:])
                minutes = [(ts, list(zip(*rows, strict=True))) for ts, rows in by_minute.items()]
            for ts, values in minutes:
                for metric, column in zip(ids[0], values, strict=True):
                    taken = found.get((metric, ts))
                    if taken is None:
                        found[(metric, ts)] = list(column)
                    else:
                        taken.extend(column)
        return found

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = state.connect(self.path, check_same_thread=False)
        return self._conn

    def _series_id(self, conn: sqlite3.Connection, key: tuple[str, str, Dimensions]) -> int:
        found = self._series.get(key)
        if found is None:
            text = json.dumps(key[2], separators=(",", ":"))
            conn.execute(
                "INSERT OR IGNORE INTO series (namespace, name, dimensions) VALUES (?, ?, ?)",
                (key[0], key[1], text),
            )
            (found,) = conn.execute(
                "SELECT id FROM series WHERE namespace = ? AND name = ? AND dimensions = ?",
                (key[0], key[1], text),
            ).fetchone()
            self._series[key] = found
        return found

    def _write(self, pending: Mapping[_Key, Aggregate]) -> None:
        conn = self._connection()
        with conn:
            conn.execute("BEGIN")
            rows = []
            latest: dict[int, int] = {}
            for (namespace, name, sets, ts, resolution), agg in pending.items():
                vals = _values_text(agg.values) if agg.values else None
                for dimensions in sets:
                    sid = self._series_id(conn, (namespace, name, dimensions))
                    latest[sid] = max(latest.get(sid, 0), ts)
                    rows.append(
                        (sid, ts, resolution, agg.count, agg.sum, agg.min, agg.max, agg.unit, vals)
                    )
            conn.executemany("INSERT INTO points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.executemany(
                "UPDATE series SET last_ts = max(last_ts, ?) WHERE id = ?",
                [(ts, sid) for sid, ts in latest.items()],
            )
            self._flushes += 1
            if self._flushes % 600 == 1:
                conn.execute("DELETE FROM points WHERE ts < ?", (self.clock() - RETENTION_S,))

    def clear(self) -> None:
        """Every datapoint gone, pending ones too (a test's reset); the series stay known
        but unlisted until they get new data, as CloudWatch lists only recent metrics."""
        with self._flushing:
            with self._lock:
                self._pending = {}
                self._recorded.clear()
            conn = self._connection()
            with conn:
                conn.execute("DELETE FROM points")
                conn.execute("UPDATE series SET last_ts = -1")  # unlisted until new data

    def close(self) -> None:
        self._closing = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        self._closing = False

    # -- reading -----------------------------------------------------------------------
    def series(
        self,
        namespace: str | None = None,
        name: str | None = None,
        dimensions: Sequence[tuple[str, str | None]] = (),
        *,
        since: float | None = None,
    ) -> list[Series]:
        """Series matching the filters (a dimension given without a value matches any
        value of that dimension); ``since``: only those with data after it."""
        self.flush()
        conn = read_connection(self.path)
        try:
            # A series without data since a reset (clear) is not listed.
            query = "SELECT id, namespace, name, dimensions FROM series WHERE last_ts >= 0"
            args: list[object] = []
            if namespace is not None:
                query += " AND namespace = ?"
                args.append(namespace)
            if name is not None:
                query += " AND name = ?"
                args.append(name)
            if since is not None:
                query += " AND last_ts >= ?"
                args.append(since)
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        finally:
            conn.close()
        found = []
        for sid, ns, metric, text in rows:
            pairs = tuple((k, v) for k, v in json.loads(text))
            present = dict(pairs)
            if all(k in present and (v is None or present[k] == v) for k, v in dimensions):
                found.append(Series(sid, ns, metric, pairs))
        return found

    def find(self, namespace: str, name: str, dimensions: Dimensions) -> Series | None:
        """The series with exactly these dimensions."""
        for series in self.series(namespace, name, dimensions):
            if series.dimensions == dimensions:
                return series
        return None

    def datapoints(
        self, series_ids: Iterable[int], start: float, end: float, period: int
    ) -> dict[int, Aggregate]:
        """Aggregates by period start (aligned to ``period`` from ``start``), for the
        periods in [start, end) that have data."""
        self.flush()
        ids = list(series_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        conn = read_connection(self.path)
        try:
            rows = conn.execute(
                "SELECT ts, count, sum, min, max, unit, vals FROM points"
                f" WHERE series_id IN ({marks}) AND ts >= ? AND ts < ? ORDER BY ts",
                [*ids, int(start) - int(start) % (60 if period >= 60 else period), end],
            ).fetchall()
        finally:
            conn.close()
        buckets: dict[int, Aggregate] = {}
        # CloudWatch rounds an unaligned start down: to the minute for periods of a
        # minute or more, else to the period.
        base = int(start) - int(start) % (60 if period >= 60 else period)
        for ts, count, total, low, high, unit, vals in rows:
            bucket = base + ((ts - base) // period) * period
            agg = buckets.get(bucket)
            if agg is None:
                agg = buckets[bucket] = Aggregate(unit=unit)
            agg.add_set(count, total, low, high)
            if vals:
                room = MAX_VALUES * 10 - len(agg.values)
                if room > 0:
                    agg.values.extend(json.loads(vals)[:room])
        return buckets
