"""Queues in the database: create, find, list, change, delete; and move tasks."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .db import Database
from .names import QueueRef
from .records import Queue

_COLUMNS = "id, account, name, attributes, tags, created, modified, purged_at"


@dataclass(frozen=True)
class MoveTask:
    handle: str
    source_arn: str
    destination_arn: str | None
    max_per_second: int | None
    status: str
    moved: int
    to_move: int
    failure: str | None
    started: float


class QueueStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _queue(row: tuple[Any, ...]) -> Queue:
        return Queue(
            id=row[0],
            ref=QueueRef(row[1], row[2]),
            attributes=json.loads(row[3]),
            tags=json.loads(row[4]),
            created=row[5],
            modified=row[6],
            purged_at=row[7],
        )

    def get(self, ref: QueueRef) -> Queue | None:
        row = self.db.row(
            f"SELECT {_COLUMNS} FROM queues WHERE account = ? AND name = ?", (ref.account, ref.name)
        )
        return None if row is None else self._queue(row)

    def by_id(self, queue_id: int) -> Queue | None:
        row = self.db.row(f"SELECT {_COLUMNS} FROM queues WHERE id = ?", (queue_id,))
        return None if row is None else self._queue(row)

    def all(self, account: str | None = None) -> list[Queue]:
        if account is None:
            rows = self.db.rows(f"SELECT {_COLUMNS} FROM queues ORDER BY account, name")
        else:
            rows = self.db.rows(
                f"SELECT {_COLUMNS} FROM queues WHERE account = ? ORDER BY name", (account,)
            )
        return [self._queue(row) for row in rows]

    def create(
        self, ref: QueueRef, attributes: Mapping[str, str], tags: Mapping[str, str], now: float
    ) -> Queue:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM deleted_queues WHERE account = ? AND name = ?", (*_key(ref),))
            conn.execute(
                "INSERT INTO queues (account, name, attributes, tags, created, modified) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    ref.account,
                    ref.name,
                    json.dumps(dict(attributes)),
                    json.dumps(dict(tags)),
                    now,
                    now,
                ),
            )
        created = self.get(ref)
        assert created is not None
        return created

    def set_attributes(self, queue_id: int, attributes: Mapping[str, str], now: float) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE queues SET attributes = ?, modified = ? WHERE id = ?",
                (json.dumps(dict(attributes)), now, queue_id),
            )

    def set_tags(self, queue_id: int, tags: Mapping[str, str]) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE queues SET tags = ? WHERE id = ?", (json.dumps(dict(tags)), queue_id)
            )

    def set_purged(self, queue_id: int, now: float) -> None:
        with self.db.transaction() as conn:
            conn.execute("UPDATE queues SET purged_at = ? WHERE id = ?", (now, queue_id))

    def delete(self, queue: Queue, now: float) -> None:
        with self.db.transaction() as conn:
            conn.execute("DELETE FROM messages WHERE queue_id = ?", (queue.id,))
            conn.execute("DELETE FROM queues WHERE id = ?", (queue.id,))
            conn.execute(
                "INSERT OR REPLACE INTO deleted_queues (account, name, deleted_at) "
                "VALUES (?, ?, ?)",
                (*_key(queue.ref), now),
            )

    def deleted_at(self, ref: QueueRef) -> float | None:
        row = self.db.row(
            "SELECT deleted_at FROM deleted_queues WHERE account = ? AND name = ?", _key(ref)
        )
        return None if row is None else float(row[0])

    # -- template provisioning ------------------------------------------------------

    def provisioned_fingerprint(self, ref: QueueRef) -> str | None:
        row = self.db.row(
            "SELECT fingerprint FROM provisioned WHERE account = ? AND name = ?", _key(ref)
        )
        return None if row is None else str(row[0])

    def set_provisioned_fingerprint(self, ref: QueueRef, fingerprint: str) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO provisioned (account, name, fingerprint) VALUES (?, ?, ?)",
                (*_key(ref), fingerprint),
            )

    # -- message move tasks ---------------------------------------------------------

    def add_move_task(self, task: MoveTask) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO move_tasks (handle, source_arn, destination_arn, max_per_second, "
                "status, moved, to_move, failure, started) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    task.handle,
                    task.source_arn,
                    task.destination_arn,
                    task.max_per_second,
                    task.status,
                    task.moved,
                    task.to_move,
                    task.failure,
                    task.started,
                ),
            )

    def move_tasks(self, source_arn: str | None = None, limit: int = 10) -> list[MoveTask]:
        where, args = ("WHERE source_arn = ?", (source_arn,)) if source_arn else ("", ())
        rows = self.db.rows(
            "SELECT handle, source_arn, destination_arn, max_per_second, status, moved, to_move,"
            f" failure, started FROM move_tasks {where} ORDER BY started DESC LIMIT ?",
            (*args, limit),
        )
        return [MoveTask(*row) for row in rows]


def _key(ref: QueueRef) -> tuple[str, str]:
    return ref.account, ref.name
