"""DynamoDB Streams' durable log: one stream per enabled StreamSpecification, its
records in the same SQLite database (and the same transaction) as the item writes.

    streams         one row per stream ARN: the table, label, view type, key schema,
                    when it was enabled and disabled, its one shard, how far trimmed
    stream_records  one row per change: the global sequence, the stream, when, the record

An item write and its stream record commit together (``Storage.put`` / ``delete`` call
``record``), so after kill -9 there is never a write without its record nor a record
without its write. Records are in write order per stream (and so per item), as AWS
promises.

AWS splits a stream into shards that roll over every few hours; here each stream has
one shard for its whole life, which keeps every item's records in one ordered
sequence (the guarantee consumers rely on). Records older than 24 hours are trimmed
(``trim``), as AWS's retention does.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .schema import TableDef
from .types import Item, item_size

RETENTION_S = 24 * 3600  # DynamoDB Streams keeps a record 24 hours
SEQUENCE_BASE = 10**20  # sequence numbers are >= 21 digits on AWS (and in botocore's model)

SCHEMA = """
CREATE TABLE IF NOT EXISTS streams (
    arn TEXT PRIMARY KEY,
    table_name TEXT NOT NULL,
    label TEXT NOT NULL,
    view_type TEXT NOT NULL,
    key_schema TEXT NOT NULL,
    created REAL NOT NULL,
    disabled REAL,
    shard_id TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER,
    trimmed INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stream_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    created REAL NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS stream_records_by_stream ON stream_records (stream, seq);
CREATE INDEX IF NOT EXISTS stream_records_by_age ON stream_records (created);
"""

# How GetRecords names who deleted an expired item (botocore's Identity shape; Lambda's
# stream event spells the same fields principalId / type).
TTL_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def sequence_number(seq: int) -> str:
    return str(SEQUENCE_BASE + seq)


def parse_sequence_number(text: Any) -> int | None:
    if not isinstance(text, str) or not text.isdigit() or len(text) < 21:
        return None
    return int(text) - SEQUENCE_BASE


def stream_arn(table: TableDef) -> str | None:
    if not table.stream or not table.stream_label:
        return None
    return f"{table.arn}/stream/{table.stream_label}"


@dataclass(frozen=True)
class StreamRow:
    arn: str
    table_name: str
    label: str
    view_type: str
    key_schema: list[dict[str, str]]
    created: float
    disabled: float | None
    shard_id: str
    first_seq: int
    last_seq: int | None  # the shard's end once the stream is disabled
    trimmed: int  # every record with seq <= trimmed is gone

    @property
    def enabled(self) -> bool:
        return self.disabled is None


_COLUMNS = (
    "arn, table_name, label, view_type, key_schema, created, disabled, shard_id, "
    "first_seq, last_seq, trimmed"
)


def _row(values: tuple[Any, ...]) -> StreamRow:
    arn, name, label, view, keys, created, disabled, shard, first, last, trimmed = values
    return StreamRow(
        arn, name, label, view, json.loads(keys), created, disabled, shard, first, last, trimmed
    )


def _key_schema(table: TableDef) -> list[dict[str, str]]:
    schema = [{"AttributeName": table.hash_key, "KeyType": "HASH"}]
    if table.range_key is not None:
        schema.append({"AttributeName": table.range_key, "KeyType": "RANGE"})
    return schema


class StreamLog:
    """The streams and their records, on the item store's connection (its transactions)."""

    def __init__(self, conn: sqlite3.Connection, clock: Callable[[], float]) -> None:
        self.conn = conn
        self.clock = clock

    # -- streams follow the table definitions --------------------------------------------

    def table_changed(self, before: TableDef | None, after: TableDef | None) -> None:
        """A table was created, updated or deleted: enable or disable its streams."""
        old = stream_arn(before) if before is not None else None
        new = stream_arn(after) if after is not None else None
        if old is not None and old != new:
            self._disable(old)
        if new is not None and after is not None:
            self._enable(new, after)

    def _last_seq(self) -> int:
        row = self.conn.execute("SELECT max(seq) FROM stream_records").fetchone()
        seq = row[0] if row and row[0] is not None else 0
        found = self.conn.execute(
            "SELECT seq FROM sqlite_sequence WHERE name = 'stream_records'"
        ).fetchone()
        return max(int(seq), int(found[0]) if found else 0)

    def _enable(self, arn: str, table: TableDef) -> None:
        assert table.stream is not None and table.stream_label is not None
        existing = self.get(arn)
        view = str(table.stream.get("StreamViewType", "NEW_AND_OLD_IMAGES"))
        if existing is not None and existing.enabled:
            if existing.view_type != view:
                self.conn.execute("UPDATE streams SET view_type = ? WHERE arn = ?", (view, arn))
            return
        now = self.clock()
        last = self._last_seq()
        if existing is not None:  # the same label enabled again (a template's table recreated)
            self.conn.execute(
                "UPDATE streams SET disabled = NULL, last_seq = NULL, view_type = ? WHERE arn = ?",
                (view, arn),
            )
            return
        shard = f"shardId-{int(now * 1000):020d}-{uuid.uuid4().hex[:8]}"
        self.conn.execute(
            f"INSERT INTO streams ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, NULL, ?)",
            (
                arn,
                table.name,
                table.stream_label,
                view,
                json.dumps(_key_schema(table)),
                now,
                shard,
                last + 1,
                last,
            ),
        )

    def _disable(self, arn: str) -> None:
        self.conn.execute(
            "UPDATE streams SET disabled = ?, last_seq = ? WHERE arn = ? AND disabled IS NULL",
            (self.clock(), self._last_seq(), arn),
        )

    # -- records --------------------------------------------------------------------------

    def record(
        self,
        table: TableDef,
        old: Item | None,
        new: Item | None,
        identity: dict[str, str] | None = None,
    ) -> None:
        """The change of one item, if the table has a stream and the item changed."""
        arn = stream_arn(table)
        if arn is None or old == new:
            # AWS writes no record for a Put or Update that changes nothing.
            return
        assert table.stream is not None
        view = str(table.stream.get("StreamViewType", "NEW_AND_OLD_IMAGES"))
        name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        source = new if new is not None else old
        assert source is not None
        keys = table.key_of(source)
        change: dict[str, Any] = {"Keys": keys}
        size = item_size(keys)
        if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
            change["NewImage"] = new
            size += item_size(new)
        if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
            change["OldImage"] = old
            size += item_size(old)
        change["SizeBytes"] = size
        change["StreamViewType"] = view
        record: dict[str, Any] = {
            "eventID": uuid.uuid4().hex,
            "eventName": name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "dynamodb": change,
        }
        if identity is not None:
            record["userIdentity"] = identity
        self.conn.execute(
            "INSERT INTO stream_records (stream, created, record) VALUES (?, ?, ?)",
            (arn, self.clock(), json.dumps(record, separators=(",", ":"), ensure_ascii=False)),
        )

    # -- reads ----------------------------------------------------------------------------

    def get(self, arn: str) -> StreamRow | None:
        row = self.conn.execute(f"SELECT {_COLUMNS} FROM streams WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else _row(row)

    def listed(self, table_name: str | None) -> list[StreamRow]:
        sql = f"SELECT {_COLUMNS} FROM streams"
        params: tuple[Any, ...] = ()
        if table_name is not None:
            sql += " WHERE table_name = ?"
            params = (table_name,)
        return [_row(r) for r in self.conn.execute(sql + " ORDER BY arn", params)]

    def latest(self, stream: StreamRow) -> int:
        """The sequence of the stream's newest record (or where it would start)."""
        row = self.conn.execute(
            "SELECT max(seq) FROM stream_records WHERE stream = ?", (stream.arn,)
        ).fetchone()
        newest = row[0] if row and row[0] is not None else stream.first_seq - 1
        return int(newest) if stream.last_seq is None else min(int(newest), stream.last_seq)

    def before(self, stream: StreamRow, moment: float) -> int:
        """The sequence of the last record created before ``moment``."""
        row = self.conn.execute(
            "SELECT max(seq) FROM stream_records WHERE stream = ? AND created < ?",
            (stream.arn, moment),
        ).fetchone()
        found = row[0] if row and row[0] is not None else None
        return max(int(found) if found is not None else stream.trimmed, stream.trimmed)

    def read(self, stream: StreamRow, after: int, limit: int) -> list[tuple[int, float, str]]:
        """Up to ``limit`` records (seq, created, JSON) with seq > ``after``."""
        sql = "SELECT seq, created, record FROM stream_records WHERE stream = ? AND seq > ?"
        params: list[Any] = [stream.arn, after]
        if stream.last_seq is not None:
            sql += " AND seq <= ?"
            params.append(stream.last_seq)
        rows = self.conn.execute(sql + " ORDER BY seq LIMIT ?", [*params, limit]).fetchall()
        return [(int(seq), float(created), str(text)) for seq, created, text in rows]

    # -- retention ------------------------------------------------------------------------

    def trim(self, now: float) -> int:
        """Drop records (and disabled streams) past the 24-hour retention; how many."""
        horizon = now - RETENTION_S
        rows = self.conn.execute(
            "SELECT stream, max(seq) FROM stream_records WHERE created < ? GROUP BY stream",
            (horizon,),
        ).fetchall()
        self.conn.execute(
            "DELETE FROM streams WHERE disabled IS NOT NULL AND disabled < ?", (horizon,)
        )
        for arn, seq in rows:
            self.conn.execute(
                "UPDATE streams SET trimmed = max(trimmed, ?) WHERE arn = ?", (seq, arn)
            )
        deleted = self.conn.execute("DELETE FROM stream_records WHERE created < ?", (horizon,))
        return deleted.rowcount
