"""The queues themselves: what the API operations and the Lambda pollers both use.

``SqsEngine`` ties the stores to the clock, the account, the endpoint URL and the
long-poll notifier, and applies what every path needs: retention expiry, moving
over-received messages to the dead-letter queue, waking waiting receives.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

from . import errors
from .db import Database
from .message_input import NewMessage
from .message_store import DeadLetterTarget, Enqueued, MessageStore
from .names import QueueRef, parse_arn, parse_url, queue_arn, queue_url
from .queue_store import QueueStore
from .receipts import Receipt
from .records import Counts, Queue, StoredMessage
from .waiters import Notifier

EXPIRY_INTERVAL_S = 1.0


def sender_id(account: str) -> str:
    """An IAM user id (``AIDA`` + 17 characters) standing for the local caller."""
    digest = base64.b32encode(hashlib.sha256(account.encode()).digest()).decode()
    return "AIDA" + digest[:17]


class SqsEngine:
    def __init__(
        self,
        path: Path,
        *,
        region: str,
        account: str,
        endpoint: str,
        clock: Callable[[], float],
    ) -> None:
        self.db = Database(path)
        self.queues = QueueStore(self.db)
        self.messages = MessageStore(self.db)
        self.notifier = Notifier()
        self.region = region
        self.account = account
        self.endpoint = endpoint
        self.clock = clock
        self.sender_id = sender_id(account)
        self.closing = False
        self._expired_at: dict[int, float] = {}

    def begin_shutdown(self) -> None:
        """End every long poll now (with what it has: nothing), so shutdown does not wait."""
        self.closing = True
        self.notifier.notify_all()

    def close(self) -> None:
        self.begin_shutdown()
        self.db.close()

    # -- naming ----------------------------------------------------------------------

    def url(self, queue: Queue) -> str:
        return queue_url(self.endpoint, queue.ref)

    def arn(self, queue: Queue) -> str:
        return queue_arn(self.region, queue.ref)

    def find(self, ref: QueueRef) -> Queue:
        queue = self.queues.get(ref)
        if queue is None:
            raise errors.queue_does_not_exist()
        return queue

    def by_url(self, url: object) -> Queue:
        if not isinstance(url, str) or not url:
            raise errors.missing_parameter("QueueUrl")
        return self.find(parse_url(url))

    def by_arn(self, arn: str) -> Queue | None:
        ref = parse_arn(arn)
        return None if ref is None else self.queues.get(ref)

    # -- messages --------------------------------------------------------------------

    def send(
        self, queue: Queue, messages: Sequence[tuple[NewMessage, str | None]]
    ) -> list[Enqueued]:
        enqueued = self.messages.insert(queue, messages, self.clock(), self.sender_id)
        self.notifier.notify(queue.id)
        return enqueued

    def receive_now(
        self, queue: Queue, limit: int, visibility_s: float, max_bytes: int | None = None
    ) -> list[StoredMessage]:
        now = self.clock()
        self.expire(queue, now)
        target = self._dead_letter_target(queue)
        received = self.messages.receive(queue, limit, visibility_s, now, target, max_bytes)
        if received.moved and target is not None:
            self.notifier.notify(target.queue.id)
        return received.messages

    async def receive(
        self,
        queue: Queue,
        limit: int,
        visibility_s: float | None = None,
        wait_s: float = 0.0,
        max_bytes: int | None = None,
    ) -> list[StoredMessage]:
        """Receive, long-polling up to ``wait_s`` seconds for a first message."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            timeout = queue.visibility_timeout if visibility_s is None else visibility_s
            messages = self.receive_now(queue, limit, timeout, max_bytes)
            remaining = deadline - loop.time()
            if messages or remaining <= 0 or self.closing:
                return messages
            now = self.clock()
            next_at = self.messages.next_visible_at(queue.id, now)
            if next_at is not None:
                remaining = min(remaining, next_at - now + 0.001)
            await self.notifier.wait(queue.id, remaining)
            current = self.queues.by_id(queue.id)
            if current is None:  # deleted while we waited
                return []
            queue = current

    def delete(self, queue: Queue, receipts: Sequence[Receipt]) -> None:
        self.messages.delete(receipts)
        if queue.fifo:  # the group may now deliver its next message
            self.notifier.notify(queue.id)

    def change_visibility(self, queue: Queue, receipt: Receipt, timeout_s: int) -> bool:
        now = self.clock()
        changed = self.messages.change_visibility(receipt, now + timeout_s, now)
        if changed:
            self.notifier.notify(queue.id)
        return changed

    def counts(self, queue: Queue) -> Counts:
        now = self.clock()
        self.expire(queue, now, force=True)
        return self.messages.counts(queue.id, now)

    def expire(self, queue: Queue, now: float, *, force: bool = False) -> None:
        """Drop messages older than MessageRetentionPeriod (at most once a second)."""
        if not force and now - self._expired_at.get(queue.id, 0.0) < EXPIRY_INTERVAL_S:
            return
        self._expired_at[queue.id] = now
        self.messages.expire(queue.id, now - queue.number("MessageRetentionPeriod"), now)

    def _dead_letter_target(self, queue: Queue) -> DeadLetterTarget | None:
        policy = queue.redrive_policy
        if policy is None:
            return None
        target = self.by_arn(policy.dead_letter_target_arn)
        # A missing DLQ keeps messages where they are (AWS does not drop them).
        return None if target is None else DeadLetterTarget(target, self.arn(queue))
