"""Published messages and the deliveries they owe, on SQLite.

Publish writes the message, one delivery row per subscription that accepts it, and
(FIFO) its deduplication entry in one transaction. The delivery worker reads due
rows, and deletes each when it is finished; a message row goes with its last
delivery. FIFO deliveries carry a group key (subscription + MessageGroupId): only
the oldest row of a group is ever due, so a group is delivered in order.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from . import message_attributes as attrs
from .db import Db
from .records import Delivery, DeliveryKind, StoredMessage

DEDUP_WINDOW_S = 300.0  # FIFO topics deduplicate over five minutes
_SEQUENCE_BASE = 10**19  # sequence numbers are 20-digit decimal strings
# Only the oldest delivery of a FIFO group may be sent: the group stays in order.
_HEAD = (
    "(fifo_group IS NULL OR id ="
    " (SELECT MIN(id) FROM deliveries g WHERE g.fifo_group = d.fifo_group))"
)


@dataclass(frozen=True)
class Published:
    message_id: str
    sequence_number: str | None
    duplicate: bool = False


def _message_body(message: StoredMessage) -> str:
    return json.dumps(
        {
            "message": message.message,
            "timestamp": message.timestamp,
            "subject": message.subject,
            "per_protocol": dict(message.per_protocol),
            "attributes": attrs.to_storage(message.attributes),
            "group_id": message.group_id,
            "dedup_id": message.dedup_id,
            "sequence_number": message.sequence_number,
            "trace_header": message.trace_header,
        }
    )


def _message(message_id: str, topic_arn: str, body: str) -> StoredMessage:
    data = json.loads(body)
    return StoredMessage(
        message_id=message_id,
        topic_arn=topic_arn,
        message=data["message"],
        timestamp=data["timestamp"],
        subject=data["subject"],
        per_protocol=data["per_protocol"],
        attributes=attrs.from_storage(data["attributes"]),
        group_id=data["group_id"],
        dedup_id=data["dedup_id"],
        sequence_number=data["sequence_number"],
        trace_header=data.get("trace_header"),
    )


class Outbox:
    def __init__(self, db: Db) -> None:
        self.db = db

    def publish(
        self, message: StoredMessage, subscriptions: Sequence[str], *, fifo: bool, now: float
    ) -> Published:
        """Store the message and its deliveries; a FIFO duplicate stores nothing."""
        with self.db.transaction() as conn:
            sequence = None
            if fifo:
                conn.execute("DELETE FROM dedup WHERE expires_at <= ?", (now,))
                row = conn.execute(
                    "SELECT message_id, sequence_number FROM dedup"
                    " WHERE topic_arn = ? AND dedup_id = ?",
                    (message.topic_arn, message.dedup_id),
                ).fetchone()
                if row is not None:
                    return Published(row[0], row[1], duplicate=True)
                count = conn.execute(
                    "UPDATE topics SET sequence = sequence + 1 WHERE arn = ? RETURNING sequence",
                    (message.topic_arn,),
                ).fetchone()
                sequence = f"{_SEQUENCE_BASE + int(count[0]):020d}"
                conn.execute(
                    "INSERT INTO dedup (topic_arn, dedup_id, message_id, sequence_number,"
                    " expires_at) VALUES (?, ?, ?, ?, ?)",
                    (
                        message.topic_arn,
                        message.dedup_id,
                        message.message_id,
                        sequence,
                        now + DEDUP_WINDOW_S,
                    ),
                )
                message = replace(message, sequence_number=sequence)
            if subscriptions:
                conn.execute(
                    "INSERT INTO messages (message_id, topic_arn, body, created) VALUES (?,?,?,?)",
                    (message.message_id, message.topic_arn, _message_body(message), now),
                )
                conn.executemany(
                    "INSERT INTO deliveries (kind, subscription_arn, message_id, due_at, created,"
                    " fifo_group) VALUES ('notification', ?, ?, ?, ?, ?)",
                    [
                        (arn, message.message_id, now, now, _group(arn, message) if fifo else None)
                        for arn in subscriptions
                    ],
                )
        return Published(message.message_id, sequence)

    def enqueue_confirmation(
        self,
        kind: DeliveryKind,
        subscription_arn: str,
        topic_arn: str,
        protocol: str,
        endpoint: str,
        token: str,
        now: float,
    ) -> None:
        extra = {"topic_arn": topic_arn, "protocol": protocol, "endpoint": endpoint, "token": token}
        with self.db.transaction() as conn:
            conn.execute(
                "INSERT INTO deliveries (kind, subscription_arn, due_at, created, extra)"
                " VALUES (?, ?, ?, ?, ?)",
                (kind, subscription_arn, now, now, json.dumps(extra)),
            )

    # -- the worker's side ---------------------------------------------------------

    def due(self, now: float, limit: int, skip: Collection[int]) -> list[Delivery]:
        """Deliveries due by ``now`` (FIFO: group heads only), minus those in ``skip``."""
        rows = self.db.rows(
            "SELECT id, kind, subscription_arn, attempts, created, message_id, extra"
            f" FROM deliveries d WHERE due_at <= ? AND {_HEAD} ORDER BY due_at, id LIMIT ?",
            (now, limit + len(skip)),
        )
        found = [_delivery(row) for row in rows]
        return [d for d in found if d.id not in skip][:limit]

    def next_due(self, skip: Collection[int]) -> float | None:
        """When the next delivery not in ``skip`` (those in flight) falls due."""
        marks = ",".join("?" * len(skip))
        row = self.db.row(
            f"SELECT MIN(due_at) FROM deliveries d WHERE {_HEAD} AND id NOT IN ({marks})",
            tuple(skip),
        )
        return None if row[0] is None else float(row[0])

    def pending(self) -> int:
        return int(self.db.row("SELECT COUNT(*) FROM deliveries")[0])

    def message(self, message_id: str) -> StoredMessage | None:
        row = self.db.row(
            "SELECT topic_arn, body FROM messages WHERE message_id = ?", (message_id,)
        )
        return None if row is None else _message(message_id, row[0], row[1])

    def finish(self, delivery_id: int) -> None:
        """Delivered, dead-lettered or dropped: the row goes, and its message when unneeded."""
        with self.db.transaction() as conn:
            row = conn.execute(
                "DELETE FROM deliveries WHERE id = ? RETURNING message_id", (delivery_id,)
            ).fetchone()
            if row is not None and row[0] is not None:
                conn.execute(
                    "DELETE FROM messages WHERE message_id = ? AND NOT EXISTS"
                    " (SELECT 1 FROM deliveries WHERE message_id = ?)",
                    (row[0], row[0]),
                )

    def retry_at(self, delivery_id: int, due_at: float) -> None:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE deliveries SET attempts = attempts + 1, due_at = ? WHERE id = ?",
                (due_at, delivery_id),
            )


def _group(subscription_arn: str, message: StoredMessage) -> str:
    return f"{subscription_arn}#{message.group_id}"


def _delivery(row: Sequence[Any]) -> Delivery:
    extra = json.loads(row[6] or "{}")
    return Delivery(
        id=int(row[0]),
        kind=row[1],
        subscription_arn=row[2],
        attempts=int(row[3]),
        created=float(row[4]),
        message_id=row[5],
        topic_arn=extra.get("topic_arn", ""),
        protocol=extra.get("protocol", ""),
        endpoint=extra.get("endpoint", ""),
        token=extra.get("token", ""),
    )
