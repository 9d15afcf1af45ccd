"""DynamoDB's durable store: one SQLite database (WAL) under the state directory.

    tables       one row per table: its definition as JSON
    items        one row per item: (table, partition hash, pk, sk) -> item JSON
    index_items  one row per item per secondary index it appears in, pointing at the item
    transactions ClientRequestTokens of TransactWriteItems, kept 10 minutes
    streams, stream_records  DynamoDB Streams (``stream_log.py``), written with the items

Keys are stored as order-preserving bytes (``encoding.py``), so a Query is an index
range seek and a Scan walks items in partition-hash order. Every write runs in one
SQLite transaction that also maintains the index entries; it is committed before
the response is sent, so an acknowledged write survives kill -9.

One connection, used from one thread at a time: the event loop's (requests) or the
startup thread's (provisioning, before any request).
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverlite import state

from .encoding import partition_hash
from .keys import StoredKey, index_key, storage_key
from .schema import IndexDef, TableDef
from .stream_log import SCHEMA as STREAMS_SCHEMA
from .stream_log import StreamLog
from .types import Item, item_size

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tables (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,
    tbl INTEGER NOT NULL,
    h INTEGER NOT NULL,
    pk BLOB NOT NULL,
    sk BLOB NOT NULL,
    item TEXT NOT NULL,
    size INTEGER NOT NULL,
    expires REAL
);
CREATE UNIQUE INDEX IF NOT EXISTS items_key ON items (tbl, h, pk, sk);
CREATE INDEX IF NOT EXISTS items_expiry ON items (tbl, expires) WHERE expires IS NOT NULL;
CREATE TABLE IF NOT EXISTS index_items (
    tbl INTEGER NOT NULL,
    idx TEXT NOT NULL,
    h INTEGER NOT NULL,
    ipk BLOB NOT NULL,
    isk BLOB NOT NULL,
    pk BLOB NOT NULL,
    sk BLOB NOT NULL,
    item_id INTEGER NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (tbl, idx, h, ipk, isk, pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS transactions (
    token TEXT PRIMARY KEY,
    digest TEXT NOT NULL,
    created REAL NOT NULL,
    response TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Stored:
    """An item as stored: its row id, the item, its size in bytes."""

    id: int
    item: Item
    size: int


@dataclass(frozen=True, slots=True)
class Bounds:
    """A sort-key range: None for an open end."""

    low: bytes | None = None
    low_inclusive: bool = True
    high: bytes | None = None
    high_inclusive: bool = True


def _dumps(item: Item) -> str:
    return json.dumps(item, separators=(",", ":"), ensure_ascii=False)


def _expiry(table: TableDef, item: Item) -> float | None:
    if table.ttl_attribute is None:
        return None
    value = item.get(table.ttl_attribute)
    if value is None or "N" not in value:
        return None
    return float(value["N"])


class Storage:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        self.conn = state.connect(path, check_same_thread=False)
        # One connection, used from the event loop and from other threads (the pytest
        # plugin's clock advance runs the TTL sweep on the test's thread): a write
        # transaction holds this lock, so two threads never BEGIN on it at once.
        self._write_lock = threading.RLock()
        self.conn.executescript(_SCHEMA + STREAMS_SCHEMA)
        self.streams = StreamLog(self.conn, clock)
        self.tables: dict[str, TableDef] = {}
        for rowid, definition in self.conn.execute("SELECT id, definition FROM tables"):
            table = TableDef.from_json(json.loads(definition), rowid)
            self.tables[table.name] = table

    def close(self) -> None:
        self.conn.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write; committed (durable) when the block ends without error."""
        with self._write_lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    def truncate(self) -> None:
        """Every table's items gone, the tables kept (a test's reset)."""
        with self.transaction():
            for name in ("items", "index_items", "transactions", "stream_records"):
                self.conn.execute(f"DELETE FROM {name}")

    # -- tables -------------------------------------------------------------------------

    def create_table(self, table: TableDef) -> TableDef:
        cursor = self.conn.execute(
            "INSERT INTO tables (name, definition) VALUES (?, ?)",
            (table.name, json.dumps(table.to_json())),
        )
        assert cursor.lastrowid is not None
        created = TableDef.from_json(table.to_json(), cursor.lastrowid)
        self.tables[table.name] = created
        self.streams.table_changed(None, created)
        return created

    def save_table(self, table: TableDef) -> None:
        self.conn.execute(
            "UPDATE tables SET definition = ? WHERE id = ?",
            (json.dumps(table.to_json()), table.rowid),
        )
        self.streams.table_changed(self.tables.get(table.name), table)
        self.tables[table.name] = table

    def drop_table(self, table: TableDef) -> None:
        self.conn.execute("DELETE FROM index_items WHERE tbl = ?", (table.rowid,))
        self.conn.execute("DELETE FROM items WHERE tbl = ?", (table.rowid,))
        self.conn.execute("DELETE FROM tables WHERE id = ?", (table.rowid,))
        self.tables.pop(table.name, None)
        self.streams.table_changed(table, None)

    def counts(self, table: TableDef) -> dict[str | None, tuple[int, int]]:
        """(item count, bytes) of the table (key None) and of each index."""
        result: dict[str | None, tuple[int, int]] = {}
        row = self.conn.execute(
            "SELECT count(*), coalesce(sum(size), 0) FROM items WHERE tbl = ?", (table.rowid,)
        ).fetchone()
        result[None] = (row[0], row[1])
        for index in table.indexes:
            row = self.conn.execute(
                "SELECT count(*), coalesce(sum(size), 0) FROM index_items "
                "WHERE tbl = ? AND idx = ?",
                (table.rowid, index.name),
            ).fetchone()
            result[index.name] = (row[0], row[1])
        return result

    # -- items --------------------------------------------------------------------------

    def get(self, table: TableDef, key: Item) -> Stored | None:
        where = storage_key(table, key)
        row = self.conn.execute(
            "SELECT id, item, size FROM items WHERE tbl = ? AND h = ? AND pk = ? AND sk = ?",
            (table.rowid, where.hash, where.pk, where.sk),
        ).fetchone()
        if row is None:
            return None
        return Stored(row[0], json.loads(row[1]), row[2])

    def put(self, table: TableDef, item: Item, size: int, old: Stored | None) -> None:
        """Write ``item`` (replacing ``old``, the item at the same key, if any), and its
        stream record in the same transaction."""
        self.streams.record(table, old.item if old else None, item)
        where = storage_key(table, item)
        text = _dumps(item)
        expires = _expiry(table, item)
        if old is None:
            cursor = self.conn.execute(
                "INSERT INTO items (tbl, h, pk, sk, item, size, expires) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (table.rowid, where.hash, where.pk, where.sk, text, size, expires),
            )
            assert cursor.lastrowid is not None
            item_id = cursor.lastrowid
        else:
            item_id = old.id
            self.conn.execute(
                "UPDATE items SET item = ?, size = ?, expires = ? WHERE id = ?",
                (text, size, expires, item_id),
            )
        for index in table.indexes:
            before = index_key(table, index, old.item) if old else None
            after = index_key(table, index, item)
            if before is not None and before != after:
                self._delete_entry(table, index, before, where)
            if after is not None:
                self._put_entry(table, index, after, where, item_id, item)

    def delete(self, table: TableDef, old: Stored, identity: dict[str, str] | None = None) -> None:
        """Delete ``old`` and write its stream record (``identity``: who deleted it, for
        TTL's deletions)."""
        self.streams.record(table, old.item, None, identity)
        where = storage_key(table, old.item)
        self.conn.execute("DELETE FROM items WHERE id = ?", (old.id,))
        for index in table.indexes:
            entry = index_key(table, index, old.item)
            if entry is not None:
                self._delete_entry(table, index, entry, where)

    def _put_entry(
        self,
        table: TableDef,
        index: IndexDef,
        entry: StoredKey,
        where: StoredKey,
        item_id: int,
        item: Item,
    ) -> None:
        size = item_size(table.projected(index, item))
        self.conn.execute(
            "INSERT OR REPLACE INTO index_items "
            "(tbl, idx, h, ipk, isk, pk, sk, item_id, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                table.rowid,
                index.name,
                entry.hash,
                entry.pk,
                entry.sk,
                where.pk,
                where.sk,
                item_id,
                size,
            ),
        )

    def _delete_entry(
        self, table: TableDef, index: IndexDef, entry: StoredKey, where: StoredKey
    ) -> None:
        self.conn.execute(
            "DELETE FROM index_items WHERE tbl = ? AND idx = ? AND h = ? AND ipk = ? "
            "AND isk = ? AND pk = ? AND sk = ?",
            (table.rowid, index.name, entry.hash, entry.pk, entry.sk, where.pk, where.sk),
        )

    def backfill(self, table: TableDef, index: IndexDef) -> None:
        """Index every existing item (a GSI added by UpdateTable)."""
        rows = self.conn.execute(
            "SELECT id, item FROM items WHERE tbl = ?", (table.rowid,)
        ).fetchall()
        for item_id, text in rows:
            item = json.loads(text)
            entry = index_key(table, index, item)
            if entry is not None:
                self._put_entry(table, index, entry, storage_key(table, item), item_id, item)

    def drop_index(self, table: TableDef, index_name: str) -> None:
        self.conn.execute(
            "DELETE FROM index_items WHERE tbl = ? AND idx = ?", (table.rowid, index_name)
        )

    # -- reads ------------------------------------------------------------------------

    def query(
        self,
        table: TableDef,
        index: IndexDef | None,
        partition: bytes,
        bounds: Bounds,
        forward: bool,
        after: tuple[bytes, ...] | None,
    ) -> Iterator[tuple[Item, int]]:
        """Items of one partition in sort-key order, strictly after ``after`` (the
        position of the last item of the previous page: (sk,) or (isk, pk, sk))."""
        sort = "sk" if index is None else "x.isk"
        if index is None:
            sql = "SELECT item, size FROM items WHERE tbl = ? AND h = ? AND pk = ?"
            params: list[Any] = [table.rowid, partition_hash(partition), partition]
            order = ["sk"]
        else:
            sql = (
                "SELECT i.item, x.size FROM index_items x JOIN items i ON i.id = x.item_id "
                "WHERE x.tbl = ? AND x.idx = ? AND x.h = ? AND x.ipk = ?"
            )
            params = [table.rowid, index.name, partition_hash(partition), partition]
            order = ["x.isk", "x.pk", "x.sk"]
        if bounds.low is not None:
            sql += f" AND {sort} {'>=' if bounds.low_inclusive else '>'} ?"
            params.append(bounds.low)
        if bounds.high is not None:
            sql += f" AND {sort} {'<=' if bounds.high_inclusive else '<'} ?"
            params.append(bounds.high)
        if after is not None:
            columns = ", ".join(order)
            marks = ", ".join("?" * len(order))
            sql += f" AND ({columns}) {'>' if forward else '<'} ({marks})"
            params.extend(after)
        direction = "" if forward else " DESC"
        sql += " ORDER BY " + ", ".join(c + direction for c in order)
        yield from self._rows(sql, params)

    def scan(
        self,
        table: TableDef,
        index: IndexDef | None,
        hash_range: tuple[int, int],
        after: tuple[Any, ...] | None,
    ) -> Iterator[tuple[Item, int]]:
        """Items in (partition hash, keys) order within a parallel-scan segment."""
        if index is None:
            sql = "SELECT item, size FROM items WHERE tbl = ? AND h >= ? AND h < ?"
            params: list[Any] = [table.rowid, *hash_range]
            order = ["h", "pk", "sk"]
        else:
            sql = (
                "SELECT i.item, x.size FROM index_items x JOIN items i ON i.id = x.item_id "
                "WHERE x.tbl = ? AND x.idx = ? AND x.h >= ? AND x.h < ?"
            )
            params = [table.rowid, index.name, *hash_range]
            order = ["x.h", "x.ipk", "x.isk", "x.pk", "x.sk"]
        if after is not None:
            sql += f" AND ({', '.join(order)}) > ({', '.join('?' * len(order))})"
            params.extend(after)
        sql += " ORDER BY " + ", ".join(order)
        yield from self._rows(sql, params)

    def _rows(self, sql: str, params: list[Any]) -> Iterator[tuple[Item, int]]:
        cursor = self.conn.execute(sql, params)
        try:
            for text, size in cursor:
                yield json.loads(text), size
        finally:
            cursor.close()

    # -- TTL ----------------------------------------------------------------------------

    def expired(self, table: TableDef, now: float, oldest: float, limit: int) -> list[Stored]:
        rows = self.conn.execute(
            "SELECT id, item, size FROM items WHERE tbl = ? AND expires IS NOT NULL "
            "AND expires <= ? AND expires >= ? LIMIT ?",
            (table.rowid, now, oldest, limit),
        ).fetchall()
        return [Stored(row[0], json.loads(row[1]), row[2]) for row in rows]

    def refresh_expiry(self, table: TableDef) -> None:
        """Recompute every item's expiry after TTL was enabled, disabled or renamed."""
        rows = self.conn.execute("SELECT id, item FROM items WHERE tbl = ?", (table.rowid,))
        updates = [(_expiry(table, json.loads(text)), item_id) for item_id, text in rows]
        self.conn.executemany("UPDATE items SET expires = ? WHERE id = ?", updates)

    # -- transaction tokens -------------------------------------------------------------

    def find_token(self, token: str, since: float) -> tuple[str, str] | None:
        row = self.conn.execute(
            "SELECT digest, response FROM transactions WHERE token = ? AND created >= ?",
            (token, since),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def save_token(self, token: str, digest: str, created: float, response: str) -> None:
        self.conn.execute("DELETE FROM transactions WHERE created < ?", (created - 600,))
        self.conn.execute(
            "INSERT OR REPLACE INTO transactions (token, digest, created, response) "
            "VALUES (?, ?, ?, ?)",
            (token, digest, created, response),
        )
