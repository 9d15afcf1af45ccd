"""What the Logs API reads and keeps beside the log store's batches: log groups and
streams created through the API or the template (with retention), and the events of
a group read back as CloudWatch's (stream, timestamp, message, ingestion time, id).

Functions' groups exist once they have logged (Lambda creates /aws/lambda/{name} the
same way); a group's streams are those with events and those created empty.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from serverlite import state
from serverlite.observe.logs import LogStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_log_groups (
    name TEXT PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    retention_days INTEGER
);
CREATE TABLE IF NOT EXISTS api_log_streams (
    log_group TEXT NOT NULL,
    name TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    PRIMARY KEY (log_group, name)
);
"""


@dataclass(frozen=True)
class Event:
    stream: str
    timestamp: int
    message: str
    ingestion: int
    event_id: str
    batch: int
    index: int


@dataclass(frozen=True)
class GroupInfo:
    name: str
    created_ms: int
    retention_days: int | None
    stored_bytes: int


@dataclass(frozen=True)
class StreamInfo:
    name: str
    created_ms: int
    first_ms: int | None
    last_ms: int | None
    stored_bytes: int


class LogsStore:
    def __init__(self, logs: LogStore, clock: Callable[[], float]) -> None:
        self.logs = logs
        self.path: Path = logs.path
        self.clock = clock
        conn = state.connect(self.path)
        conn.executescript(_SCHEMA)
        conn.close()

    def _conn(self) -> sqlite3.Connection:
        return state.connect(self.path)

    def forget_groups(self) -> None:
        """Every log group and stream made through the API gone (a test's reset)."""
        conn = self._conn()
        try:
            with conn:
                conn.execute("DELETE FROM api_log_streams")
                conn.execute("DELETE FROM api_log_groups")
        finally:
            conn.close()

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    # -- groups and streams ----------------------------------------------------------
    def create_group(self, name: str, retention_days: int | None = None) -> bool:
        conn = self._conn()
        try:
            with conn:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO api_log_groups VALUES (?, ?, ?)",
                    (name, self.now_ms(), retention_days),
                )
            return cursor.rowcount == 1
        finally:
            conn.close()

    def set_retention(self, name: str, days: int | None) -> None:
        conn = self._conn()
        try:
            with conn:
                conn.execute(
                    "INSERT INTO api_log_groups VALUES (?, ?, ?) ON CONFLICT (name)"
                    " DO UPDATE SET retention_days = excluded.retention_days",
                    (name, self.now_ms(), days),
                )
        finally:
            conn.close()

    def delete_group(self, name: str) -> None:
        self.logs.flush()
        conn = self._conn()
        try:
            with conn:
                conn.execute("DELETE FROM api_log_groups WHERE name = ?", (name,))
                conn.execute("DELETE FROM api_log_streams WHERE log_group = ?", (name,))
                conn.execute("DELETE FROM log_batches WHERE log_group = ?", (name,))
        finally:
            conn.close()

    def create_stream(self, group: str, name: str) -> bool:
        conn = self._conn()
        try:
            with conn:
                cursor = conn.execute(
                    "INSERT OR IGNORE INTO api_log_streams VALUES (?, ?, ?)",
                    (group, name, self.now_ms()),
                )
            return cursor.rowcount == 1
        finally:
            conn.close()

    def groups(self) -> list[GroupInfo]:
        self.logs.flush()
        conn = self._conn()
        try:
            made = {
                name: (created, retention)
                for name, created, retention in conn.execute("SELECT * FROM api_log_groups")
            }
            logged = {
                name: (first, size)
                for name, first, size in conn.execute(
                    "SELECT log_group, min(first_ts), sum(length(events)) FROM log_batches"
                    " GROUP BY log_group"
                )
            }
        finally:
            conn.close()
        found = []
        for name in sorted(set(made) | set(logged)):
            created, retention = made.get(name, (logged.get(name, (0, 0))[0], None))
            found.append(GroupInfo(name, created, retention, logged.get(name, (0, 0))[1] or 0))
        return found

    def group(self, name: str) -> GroupInfo | None:
        return next((g for g in self.groups() if g.name == name), None)

    def streams(self, group: str) -> list[StreamInfo]:
        self.logs.flush()
        conn = self._conn()
        try:
            made = dict(
                conn.execute(
                    "SELECT name, created_ms FROM api_log_streams WHERE log_group = ?", (group,)
                ).fetchall()
            )
            logged = {
                name: (first, last, size)
                for name, first, last, size in conn.execute(
                    "SELECT log_stream, min(first_ts), max(last_ts), sum(length(events))"
                    " FROM log_batches WHERE log_group = ? GROUP BY log_stream",
                    (group,),
                )
            }
        finally:
            conn.close()
        found = []
        for name in set(made) | set(logged):
            first, last, size = logged.get(name, (None, None, 0))
            created = made.get(name, first if first is not None else 0)
            found.append(StreamInfo(name, created, first, last, size or 0))
        return found

    # -- events ----------------------------------------------------------------------
    def events(
        self,
        group: str,
        *,
        streams: set[str] | None = None,
        prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[Event]:
        """The group's events in time order (ties in the order they were written)."""
        self.logs.flush()
        self.prune(group)
        conn = self._conn()
        try:
            query = "SELECT id, log_stream, first_ts, last_ts, events FROM log_batches"
            query += " WHERE log_group = ?"
            args: list[object] = [group]
            if start_ms is not None:
                query += " AND last_ts >= ?"
                args.append(start_ms)
            if end_ms is not None:
                query += " AND first_ts <= ?"
                args.append(end_ms)
            rows = conn.execute(query + " ORDER BY id", args).fetchall()
        finally:
            conn.close()
        found = []
        for batch, stream, _, last_ts, text in rows:
            if streams is not None and stream not in streams:
                continue
            if prefix is not None and not stream.startswith(prefix):
                continue
            for index, (stamp, message) in enumerate(json.loads(text)):
                if start_ms is not None and stamp < start_ms:
                    continue
                if end_ms is not None and stamp > end_ms:
                    continue
                found.append(
                    Event(stream, stamp, message, last_ts, f"{batch:020d}{index:06d}", batch, index)
                )
        found.sort(key=lambda e: (e.timestamp, e.batch, e.index))
        return found

    def prune(self, group: str | None = None) -> None:
        """Drop events older than their group's retention (RetentionInDays)."""
        conn = self._conn()
        try:
            query = "SELECT name, retention_days FROM api_log_groups WHERE retention_days > 0"
            rules = conn.execute(query).fetchall()
            with conn:
                for name, days in rules:
                    if group is None or name == group:
                        conn.execute(
                            "DELETE FROM log_batches WHERE log_group = ? AND last_ts < ?",
                            (name, self.now_ms() - days * 86_400_000),
                        )
        finally:
            conn.close()
