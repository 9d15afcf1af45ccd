"""The SQS database (``sqs.db``, SQLite in WAL mode): schema, connection, transactions.

Every write is one transaction, committed before the API answers, so an
acknowledged SendMessage survives a kill -9 of serverlite. Operations run on the
event loop's thread (a send or receive is tens of microseconds of SQLite); the lock
only matters while the template is provisioned from a worker thread at start.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from serverlite.state import LockedDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS queues (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    purged_at REAL,
    UNIQUE (account, name)
);
CREATE TABLE IF NOT EXISTS deleted_queues (
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    deleted_at REAL NOT NULL,
    PRIMARY KEY (account, name)
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    attributes TEXT,
    md5_body TEXT NOT NULL,
    md5_attributes TEXT,
    trace_header TEXT,
    sender_id TEXT NOT NULL,
    sent_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_received_at REAL,
    receipt TEXT,
    group_id TEXT,
    dedup_id TEXT,
    dlq_source TEXT
);
CREATE INDEX IF NOT EXISTS messages_visible ON messages (queue_id, visible_at, seq);
CREATE INDEX IF NOT EXISTS messages_group ON messages (queue_id, group_id, seq);
CREATE INDEX IF NOT EXISTS messages_sent ON messages (queue_id, sent_at);
CREATE TABLE IF NOT EXISTS dedup (
    queue_id INTEGER NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (queue_id, key)
);
CREATE TABLE IF NOT EXISTS move_tasks (
    handle TEXT PRIMARY KEY,
    source_arn TEXT NOT NULL,
    destination_arn TEXT,
    max_per_second INTEGER,
    status TEXT NOT NULL,
    moved INTEGER NOT NULL,
    to_move INTEGER NOT NULL,
    failure TEXT,
    started REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS provisioned (
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    PRIMARY KEY (account, name)
);
"""


class Database(LockedDb):
    def __init__(self, path: Path) -> None:
        super().__init__(path, SCHEMA)

    def truncate(self) -> None:
        """Every queue's messages (and deduplication ids, move tasks) gone, the queues kept."""
        with self.transaction() as conn:
            for name in ("messages", "dedup", "move_tasks"):
                conn.execute(f"DELETE FROM {name}")

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def row(self, sql: str, args: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            found: tuple[Any, ...] | None = self._conn.execute(sql, args).fetchone()
            return found
