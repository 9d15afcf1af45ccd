"""Messages in the database: enqueue, receive, delete, change visibility, count, expire.

A message's ``visible_at`` says when a receive may return it: its send time plus any
delay, then each receive's visibility timeout. ``receive_count`` > 0 tells a message
in flight from a delayed one. Standard queues hand out visible messages oldest
visible first; FIFO queues in arrival order, skipping groups with a message in
flight (``fifo.select``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from serverlite import ids

from . import fifo
from .db import Database
from .message_input import NewMessage
from .receipts import Receipt, new_token
from .records import Counts, Queue, StoredMessage, decode_attributes, encode_attributes
from .redrive import should_move

_COLUMNS = (
    "seq, message_id, body, attributes, md5_body, md5_attributes, trace_header, sender_id, "
    "sent_at, receive_count, first_received_at, group_id, dedup_id, dlq_source, queue_id"
)
_STANDARD = (
    f"SELECT {_COLUMNS} FROM messages WHERE queue_id = ?1 AND visible_at <= ?2 "
    "ORDER BY visible_at, seq LIMIT ?3"
)
# A group with any message not visible (in flight, or still delayed) is blocked.
_FIFO = (
    f"SELECT {_COLUMNS} FROM messages WHERE queue_id = ?1 AND visible_at <= ?2 AND "
    "group_id NOT IN (SELECT group_id FROM messages WHERE queue_id = ?1 AND visible_at > ?2) "
    "ORDER BY seq LIMIT ?3"
)


# What a message adds to a Lambda event beyond its body and attributes (ids, receipt
# handle, system attributes, MD5s, ARN): generous, so estimates stay above the truth.
RECORD_OVERHEAD = 1024


def message_size(body: str, attributes_size: int = 0) -> int:
    """About how many bytes the message takes in a Lambda event (JSON-escaped)."""
    return 2 * (len(body) + attributes_size) + RECORD_OVERHEAD


@dataclass(frozen=True)
class Enqueued:
    message_id: str
    seq: int
    duplicate: bool = False  # FIFO: accepted, but an earlier send already enqueued it


@dataclass(frozen=True)
class DeadLetterTarget:
    queue: Queue
    source_arn: str  # becomes the moved message's DeadLetterQueueSourceArn


@dataclass(frozen=True)
class Received:
    messages: list[StoredMessage]
    moved: int  # messages moved to the dead-letter queue instead of being returned


def _message(
    row: Sequence[Any], receipt: str = "", count: int | None = None, first: float | None = None
) -> StoredMessage:
    return StoredMessage(
        seq=row[0],
        message_id=row[1],
        body=row[2],
        attributes=decode_attributes(row[3]),
        md5_of_body=row[4],
        md5_of_attributes=row[5],
        trace_header=row[6],
        sender_id=row[7],
        sent_at=row[8],
        receive_count=row[9] if count is None else count,
        first_received_at=row[10] if first is None else first,
        group_id=row[11],
        dedup_id=row[12],
        dead_letter_source=row[13],
        receipt_handle=receipt,
    )


class MessageStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def insert(
        self,
        queue: Queue,
        messages: Sequence[tuple[NewMessage, str | None]],
        now: float,
        sender_id: str,
    ) -> list[Enqueued]:
        """Enqueue ``(message, FIFO deduplication id)`` pairs in one transaction."""
        delay = queue.number("DelaySeconds")
        results: list[Enqueued] = []
        with self.db.transaction() as conn:
            for message, dedup_id in messages:
                key = None
                if dedup_id is not None:
                    key = fifo.dedup_key(dedup_id, message.group_id, queue.dedup_per_group)
                    found = conn.execute(
                        "SELECT message_id, seq FROM dedup WHERE queue_id = ? AND key = ? "
                        "AND expires_at > ?",
                        (queue.id, key, now),
                    ).fetchone()
                    if found is not None:
                        results.append(Enqueued(found[0], found[1], duplicate=True))
                        continue
                message_id = ids.request_id()
                cursor = conn.execute(
                    "INSERT INTO messages (queue_id, message_id, body, attributes, md5_body, "
                    "md5_attributes, trace_header, sender_id, sent_at, visible_at, group_id, "
                    "dedup_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        queue.id,
                        message_id,
                        message.body,
                        encode_attributes(message.attributes),
                        message.md5_of_body,
                        message.md5_of_attributes,
                        message.trace_header,
                        sender_id,
                        now,
                        now + (message.delay_s if message.delay_s is not None else delay),
                        message.group_id,
                        dedup_id,
                    ),
                )
                seq = int(cursor.lastrowid or 0)
                if key is not None:
                    conn.execute(
                        "INSERT OR REPLACE INTO dedup (queue_id, key, message_id, seq, expires_at)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (queue.id, key, message_id, seq, now + fifo.DEDUP_WINDOW_S),
                    )
                results.append(Enqueued(message_id, seq))
        return results

    def receive(
        self,
        queue: Queue,
        limit: int,
        visibility_s: float,
        now: float,
        dead_letter: DeadLetterTarget | None = None,
        max_bytes: int | None = None,
    ) -> Received:
        """Take up to ``limit`` visible messages, moving over-received ones to the DLQ."""
        policy = queue.redrive_policy if dead_letter is not None else None
        taken: list[StoredMessage] = []
        moved = 0
        size = 0
        with self.db.transaction() as conn:
            while len(taken) < limit:
                rows = conn.execute(
                    _FIFO if queue.fifo else _STANDARD, (queue.id, now, limit - len(taken))
                ).fetchall()
                moves, updates, full = [], [], False
                for row in rows:
                    if dead_letter is not None and should_move(row[9], policy):
                        moves.append((dead_letter.queue.id, now, dead_letter.source_arn, row[0]))
                        continue
                    size += message_size(row[2], len(row[3] or ""))
                    if max_bytes is not None and taken and size > max_bytes:
                        full = True
                        break
                    token = new_token()
                    receipt = Receipt(queue.id, row[0], token).encode()
                    first = row[10] if row[10] is not None else now
                    updates.append((now + visibility_s, token, first, row[0]))
                    taken.append(_message(row, receipt, row[9] + 1, first))
                conn.executemany(
                    "UPDATE messages SET receive_count = receive_count + 1, visible_at = ?, "
                    "receipt = ?, first_received_at = ? WHERE seq = ?",
                    updates,
                )
                conn.executemany(
                    "UPDATE messages SET queue_id = ?, visible_at = ?, dlq_source = ?, "
                    "receipt = NULL WHERE seq = ?",
                    moves,
                )
                moved += len(moves)
                if full or not moves or not rows:
                    break
        return Received(taken, moved)

    def delete(self, receipts: Sequence[Receipt]) -> None:
        """Delete by receipt; a stale receipt (an earlier receive's) deletes nothing."""
        with self.db.transaction() as conn:
            conn.executemany(
                "DELETE FROM messages WHERE seq = ? AND queue_id = ? AND receipt = ?",
                [(r.seq, r.queue_id, r.token) for r in receipts],
            )

    def change_visibility(self, receipt: Receipt, visible_at: float, now: float) -> bool:
        """False when the message is gone, received again since, or no longer in flight."""
        with self.db.transaction() as conn:
            changed = conn.execute(
                "UPDATE messages SET visible_at = ? WHERE seq = ? AND queue_id = ? "
                "AND receipt = ? AND visible_at > ?",
                (visible_at, receipt.seq, receipt.queue_id, receipt.token, now),
            )
            return changed.rowcount > 0

    def counts(self, queue_id: int, now: float) -> Counts:
        row = self.db.row(
            "SELECT COUNT(*), TOTAL(visible_at > ?1 AND receive_count > 0), "
            "TOTAL(visible_at > ?1 AND receive_count = 0) FROM messages WHERE queue_id = ?2",
            (now, queue_id),
        )
        assert row is not None
        in_flight, delayed = int(row[1]), int(row[2])
        return Counts(
            visible=int(row[0]) - in_flight - delayed, in_flight=in_flight, delayed=delayed
        )

    def next_visible_at(self, queue_id: int, now: float) -> float | None:
        row = self.db.row(
            "SELECT MIN(visible_at) FROM messages WHERE queue_id = ? AND visible_at > ?",
            (queue_id, now),
        )
        return None if row is None or row[0] is None else float(row[0])

    def expire(self, queue_id: int, sent_before: float, now: float) -> int:
        """Drop messages past the retention period, and FIFO deduplication ids past 5 min."""
        with self.db.transaction() as conn:
            gone = conn.execute(
                "DELETE FROM messages WHERE queue_id = ? AND sent_at < ?", (queue_id, sent_before)
            ).rowcount
            conn.execute(
                "DELETE FROM dedup WHERE queue_id = ? AND expires_at <= ?", (queue_id, now)
            )
        return int(gone)

    def purge(self, queue_id: int) -> int:
        with self.db.transaction() as conn:
            return int(
                conn.execute("DELETE FROM messages WHERE queue_id = ?", (queue_id,)).rowcount
            )

    def visible(self, queue_id: int, now: float) -> list[StoredMessage]:
        rows = self.db.rows(
            f"SELECT {_COLUMNS} FROM messages WHERE queue_id = ? AND visible_at <= ? ORDER BY seq",
            (queue_id, now),
        )
        return [_message(row) for row in rows]

    def move(self, moves: Sequence[tuple[int, int]], now: float) -> None:
        """Put messages ``(seq, destination queue id)`` on another queue as if new:
        visible now, never received (a redrive from a dead-letter queue)."""
        with self.db.transaction() as conn:
            conn.executemany(
                "UPDATE messages SET queue_id = ?, visible_at = ?, sent_at = ?, receive_count = 0,"
                " first_received_at = NULL, receipt = NULL, dlq_source = NULL WHERE seq = ?",
                [(queue_id, now, now, seq) for seq, queue_id in moves],
            )
