"""SNS's SQLite database (WAL): the schema, one connection, one lock, transactions.

Every API call that changes something is one transaction; Publish commits the
message and every delivery it owes before it answers, so an acknowledged message
survives a kill -9 and is delivered after the restart.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from serverlite.state import LockedDb

SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    created REAL NOT NULL,
    sequence INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT
);
CREATE TABLE IF NOT EXISTS subscriptions (
    arn TEXT PRIMARY KEY,
    topic_arn TEXT NOT NULL,
    protocol TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    confirmed INTEGER NOT NULL,
    attributes TEXT NOT NULL,
    token TEXT,
    token_created REAL NOT NULL DEFAULT 0,
    origin TEXT NOT NULL DEFAULT 'api',
    fingerprint TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS subscriptions_topic ON subscriptions (topic_arn, created);
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY,
    topic_arn TEXT NOT NULL,
    body TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    subscription_arn TEXT NOT NULL,
    message_id TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL,
    created REAL NOT NULL,
    fifo_group TEXT,
    extra TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (due_at);
CREATE INDEX IF NOT EXISTS deliveries_group ON deliveries (fifo_group, id);
CREATE INDEX IF NOT EXISTS deliveries_message ON deliveries (message_id);
CREATE TABLE IF NOT EXISTS dedup (
    topic_arn TEXT NOT NULL,
    dedup_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sequence_number TEXT,
    expires_at REAL NOT NULL,
    PRIMARY KEY (topic_arn, dedup_id)
);
"""


class Db(LockedDb):
    def __init__(self, path: Path) -> None:
        super().__init__(
            path, SCHEMA, reentrant=True
        )  # the endpoint and provisioning (a thread) share it

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    def row(self, sql: str, args: Sequence[Any] = ()) -> Any:
        with self._lock:
            return self._conn.execute(sql, args).fetchone()
