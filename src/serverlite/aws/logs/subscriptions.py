"""Subscription filters: what a log group streams to a Lambda function or a Kinesis
stream, kept beside the log store's batches (``logs.db``), and the payload AWS sends.

Each filter keeps a cursor, the last log batch it delivered: delivery is at least
once, and a restart carries on where it stopped. A new filter starts at the events
ingested after it was put, as CloudWatch Logs' filters do.
"""

from __future__ import annotations

import base64
import gzip
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from serverlite import state

MAX_FILTERS_PER_GROUP = 2  # a hard quota on AWS: LimitExceededException past it

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_subscription_filters (
    log_group TEXT NOT NULL,
    name TEXT NOT NULL,
    pattern TEXT NOT NULL,
    destination_arn TEXT NOT NULL,
    role_arn TEXT,
    distribution TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    PRIMARY KEY (log_group, name)
);
"""


@dataclass(frozen=True)
class SubscriptionFilter:
    log_group: str
    name: str
    pattern: str
    destination_arn: str
    role_arn: str | None
    distribution: str  # "ByLogStream" (AWS's default) or "Random"
    created_ms: int
    cursor: int  # the last log batch delivered

    def described(self) -> dict[str, object]:
        """As DescribeSubscriptionFilters answers it."""
        item: dict[str, object] = {
            "filterName": self.name,
            "logGroupName": self.log_group,
            "filterPattern": self.pattern,
            "destinationArn": self.destination_arn,
            "distribution": self.distribution,
            "applyOnTransformedLogs": False,
            "creationTime": self.created_ms,
        }
        if self.role_arn:
            item["roleArn"] = self.role_arn
        return item


class SubscriptionStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        conn = state.connect(path)
        conn.executescript(_SCHEMA)
        conn.close()
        self.version = 0  # bumped on every change: the delivery re-reads the filters

    def _conn(self) -> sqlite3.Connection:
        return state.connect(self.path)

    def filters(self, group: str | None = None) -> list[SubscriptionFilter]:
        conn = self._conn()
        try:
            query = "SELECT * FROM api_subscription_filters"
            rows = (
                conn.execute(query + " WHERE log_group = ? ORDER BY name", (group,))
                if group is not None
                else conn.execute(query + " ORDER BY log_group, name")
            ).fetchall()
        finally:
            conn.close()
        return [SubscriptionFilter(*row) for row in rows]

    def put(self, item: SubscriptionFilter) -> None:
        """Create or update a filter; an update keeps its cursor and creation time."""
        conn = self._conn()
        try:
            with conn:
                conn.execute(
                    "INSERT INTO api_subscription_filters VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (log_group, name) DO UPDATE SET pattern = excluded.pattern,"
                    " destination_arn = excluded.destination_arn, role_arn = excluded.role_arn,"
                    " distribution = excluded.distribution",
                    (
                        item.log_group,
                        item.name,
                        item.pattern,
                        item.destination_arn,
                        item.role_arn,
                        item.distribution,
                        item.created_ms,
                        item.cursor,
                    ),
                )
        finally:
            conn.close()
        self.version += 1

    def delete(self, group: str, name: str | None = None) -> bool:
        """Delete one filter of a group (or all of them, ``name`` None)."""
        conn = self._conn()
        try:
            with conn:
                if name is None:
                    cursor = conn.execute(
                        "DELETE FROM api_subscription_filters WHERE log_group = ?", (group,)
                    )
                else:
                    cursor = conn.execute(
                        "DELETE FROM api_subscription_filters WHERE log_group = ? AND name = ?",
                        (group, name),
                    )
        finally:
            conn.close()
        self.version += 1
        return cursor.rowcount > 0

    def advance(self, group: str, name: str, cursor: int) -> None:
        conn = self._conn()
        try:
            with conn:
                conn.execute(
                    "UPDATE api_subscription_filters SET cursor = ?"
                    " WHERE log_group = ? AND name = ? AND cursor < ?",
                    (cursor, group, name, cursor),
                )
        finally:
            conn.close()

    def last_batch(self) -> int:
        """The newest log batch stored: where a new filter starts."""
        conn = self._conn()
        try:
            row = conn.execute("SELECT max(id) FROM log_batches").fetchone()
        except sqlite3.OperationalError:  # no function has logged yet
            return 0
        finally:
            conn.close()
        return int(row[0] or 0)


@dataclass(frozen=True)
class LogEvent:
    id: str
    timestamp: int
    message: str


def data_message(
    owner: str, group: str, stream: str, filter_name: str, events: Iterable[LogEvent]
) -> dict[str, object]:
    """The document a subscription delivers, before compression (AWS's key order)."""
    return {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": [filter_name],
        "logEvents": [{"id": e.id, "timestamp": e.timestamp, "message": e.message} for e in events],
    }


def control_message(owner: str, now_ms: int, destination: str) -> dict[str, object]:
    """What CloudWatch Logs puts on a Kinesis stream when a filter is put, to check it."""
    return {
        "messageType": "CONTROL_MESSAGE",
        "owner": "CloudwatchLogs",
        "logGroup": "",
        "logStream": "",
        "subscriptionFilters": [],
        "logEvents": [
            {
                "id": "",
                "timestamp": now_ms,
                "message": f"CWL CONTROL MESSAGE: Checking health of destination {destination}.",
            }
        ],
    }


def compressed(document: dict[str, object]) -> bytes:
    """gzip of the JSON document: the bytes a Kinesis record's data holds."""
    return gzip.compress(json.dumps(document, separators=(",", ":")).encode(), mtime=0)


def lambda_event(document: dict[str, object]) -> dict[str, object]:
    """The event a Lambda destination is invoked with: ``{"awslogs": {"data": ...}}``,
    base64 of the gzip of the JSON document."""
    return {"awslogs": {"data": base64.b64encode(compressed(document)).decode()}}
