"""Kinesis's durable store: one SQLite database (WAL) under the state directory.

    streams  one row per stream: name, mode, retention, tags, when created
    shards   one row per shard: its hash key range, how far its records are trimmed
    records  one row per record: a global sequence (so every shard's sequence numbers
             grow), the shard, arrival time, partition key, data

A PutRecord(s) is one transaction, committed before the answer: an acknowledged
record survives kill -9. One connection, used from the event loop's thread.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from serverlite import state

from .names import hash_ranges

SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    mode TEXT NOT NULL,
    created REAL NOT NULL,
    retention_hours INTEGER NOT NULL,
    tags TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS shards (
    stream INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    start_hash TEXT NOT NULL,
    end_hash TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    trimmed INTEGER NOT NULL,
    PRIMARY KEY (stream, idx)
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    arrival REAL NOT NULL,
    pkey TEXT NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_shard ON records (stream, shard, seq);
CREATE INDEX IF NOT EXISTS records_by_arrival ON records (stream, arrival);
"""


@dataclass(frozen=True)
class Shard:
    index: int
    start_hash: int
    end_hash: int
    first_seq: int
    trimmed: int  # records with seq <= trimmed are gone (retention)


@dataclass(frozen=True)
class Stream:
    id: int
    name: str
    arn: str
    mode: str  # PROVISIONED | ON_DEMAND
    created: float
    retention_hours: int
    tags: dict[str, str]
    shards: tuple[Shard, ...] = field(default=())

    def shard_for(self, hashed: int) -> Shard:
        for shard in self.shards:
            if shard.start_hash <= hashed <= shard.end_hash:
                return shard
        return self.shards[-1]


@dataclass(frozen=True)
class StoredRecord:
    seq: int
    arrival: float
    partition_key: str
    data: bytes


class KinesisStore:
    def __init__(self, path: Path, arn_of: Callable[[str], str]) -> None:
        self.conn = state.connect(path, check_same_thread=False)
        self.conn.executescript(SCHEMA)
        self.arn_of = arn_of
        self._cache: dict[str, Stream] = {}

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            self._cache.clear()
            raise
        self.conn.execute("COMMIT")

    # -- streams --------------------------------------------------------------------------

    def _last_seq(self) -> int:
        row = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'records'").fetchone()
        return int(row[0]) if row else 0

    def create(
        self, name: str, mode: str, shards: int, created: float, tags: dict[str, str]
    ) -> Stream:
        with self.transaction():
            cursor = self.conn.execute(
                "INSERT INTO streams (name, mode, created, retention_hours, tags) "
                "VALUES (?, ?, ?, 24, ?)",
                (name, mode, created, json.dumps(tags)),
            )
            stream_id = cursor.lastrowid
            first = self._last_seq() + 1
            self.conn.executemany(
                "INSERT INTO shards (stream, idx, start_hash, end_hash, first_seq, trimmed) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (stream_id, i, str(low), str(high), first, first - 1)
                    for i, (low, high) in enumerate(hash_ranges(shards))
                ],
            )
        found = self.get(name)
        assert found is not None
        return found

    def get(self, name: str) -> Stream | None:
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        row = self.conn.execute(
            "SELECT id, name, mode, created, retention_hours, tags FROM streams WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None:
            return None
        shards = tuple(
            Shard(idx, int(low), int(high), first, trimmed)
            for idx, low, high, first, trimmed in self.conn.execute(
                "SELECT idx, start_hash, end_hash, first_seq, trimmed FROM shards "
                "WHERE stream = ? ORDER BY idx",
                (row[0],),
            )
        )
        stream = Stream(
            row[0], row[1], self.arn_of(row[1]), row[2], row[3], row[4], json.loads(row[5]), shards
        )
        self._cache[name] = stream
        return stream

    def names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM streams ORDER BY name")]

    def delete(self, stream: Stream) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM records WHERE stream = ?", (stream.id,))
            self.conn.execute("DELETE FROM shards WHERE stream = ?", (stream.id,))
            self.conn.execute("DELETE FROM streams WHERE id = ?", (stream.id,))
        self._cache.pop(stream.name, None)

    def update(self, stream: Stream, **changes: Any) -> None:
        columns = {"retention_hours": changes.get("retention_hours"), "tags": changes.get("tags")}
        with self.transaction():
            if columns["retention_hours"] is not None:
                self.conn.execute(
                    "UPDATE streams SET retention_hours = ? WHERE id = ?",
                    (columns["retention_hours"], stream.id),
                )
            if columns["tags"] is not None:
                self.conn.execute(
                    "UPDATE streams SET tags = ? WHERE id = ?",
                    (json.dumps(columns["tags"]), stream.id),
                )
        self._cache.pop(stream.name, None)

    # -- records --------------------------------------------------------------------------

    def append(self, stream: Stream, rows: list[tuple[int, float, str, bytes]]) -> list[int]:
        """Store (shard, arrival, partition key, data) rows at once; their sequences."""
        seqs = []
        with self.transaction():
            for shard, arrival, key, data in rows:
                cursor = self.conn.execute(
                    "INSERT INTO records (stream, shard, arrival, pkey, data) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (stream.id, shard, arrival, key, data),
                )
                assert cursor.lastrowid is not None
                seqs.append(cursor.lastrowid)
        return seqs

    def read(self, stream: Stream, shard: int, after: int, limit: int) -> list[StoredRecord]:
        rows = self.conn.execute(
            "SELECT seq, arrival, pkey, data FROM records WHERE stream = ? AND shard = ? "
            "AND seq > ? ORDER BY seq LIMIT ?",
            (stream.id, shard, after, limit),
        ).fetchall()
        return [StoredRecord(seq, arrival, key, bytes(data)) for seq, arrival, key, data in rows]

    def latest(self, stream: Stream, shard: Shard) -> int:
        row = self.conn.execute(
            "SELECT max(seq) FROM records WHERE stream = ? AND shard = ?", (stream.id, shard.index)
        ).fetchone()
        return (
            int(row[0]) if row and row[0] is not None else max(shard.first_seq - 1, shard.trimmed)
        )

    def before(self, stream: Stream, shard: Shard, moment: float) -> int:
        """The sequence of the shard's last record that arrived before ``moment``."""
        row = self.conn.execute(
            "SELECT max(seq) FROM records WHERE stream = ? AND shard = ? AND arrival < ?",
            (stream.id, shard.index, moment),
        ).fetchone()
        found = int(row[0]) if row and row[0] is not None else shard.trimmed
        return max(found, shard.trimmed)

    def trim(self, now: float) -> int:
        """Drop records past each stream's retention period; how many."""
        dropped = 0
        for stream_id, hours in self.conn.execute(
            "SELECT id, retention_hours FROM streams"
        ).fetchall():
            horizon = now - hours * 3600
            rows = self.conn.execute(
                "SELECT shard, max(seq) FROM records WHERE stream = ? AND arrival < ? "
                "GROUP BY shard",
                (stream_id, horizon),
            ).fetchall()
            if not rows:
                continue
            with self.transaction():
                for shard, seq in rows:
                    self.conn.execute(
                        "UPDATE shards SET trimmed = max(trimmed, ?) WHERE stream = ? AND idx = ?",
                        (seq, stream_id, shard),
                    )
                deleted = self.conn.execute(
                    "DELETE FROM records WHERE stream = ? AND arrival < ?", (stream_id, horizon)
                )
                dropped += deleted.rowcount
        if dropped:
            self._cache.clear()
        return dropped

    def truncate(self) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM records")
        self._cache.clear()
