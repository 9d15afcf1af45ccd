"""The delivery worker: sends what Publish committed, retries, dead-letters.

It runs under ``serverlite up`` only. Due deliveries are sent concurrently (up to
``max_parallel``), except that a FIFO subscription's message group has one
delivery in flight at a time, in order. A delivery row is deleted only once it is
finished (delivered, dead-lettered, or dropped when its subscription is gone), so
a kill -9 at any point leads to the delivery being made again after the restart:
at-least-once, as on AWS.

Retry delays follow the subscription's delivery policy (``delivery_policy``),
divided by ``time_scale`` (the same setting that speeds up Lambda's async retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from serverlite.sending import Outcome

from . import attributes, delivery_policy, envelope
from .context import SnsContext
from .records import Delivery, Subscription
from .senders import SubscriptionSenders

log = logging.getLogger("serverlite.sns")
MAX_PARALLEL = 64


class SubscriptionWorker:
    def __init__(
        self, ctx: SnsContext, senders: SubscriptionSenders, *, time_scale: float = 1.0,
        max_parallel: int = MAX_PARALLEL,
    ) -> None:  # fmt: skip
        self.ctx = ctx
        self.senders = senders
        self.time_scale = time_scale
        self.max_parallel = max_parallel
        self._wakeup = asyncio.Event()
        self._inflight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def wake(self) -> None:
        self._wakeup.set()

    async def run(self) -> None:
        """Work the outbox until cancelled."""
        try:
            while True:
                self._wakeup.clear()
                room = self.max_parallel - len(self._inflight)
                if room > 0:
                    for delivery in self.ctx.outbox.due(self.ctx.clock(), room, self._inflight):
                        self._start(delivery)
                # Full: a finishing delivery wakes the loop; otherwise sleep until one is due.
                full = len(self._inflight) >= self.max_parallel
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), None if full else self._sleep_for())
        finally:
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.senders.close()

    def _sleep_for(self) -> float | None:
        due = self.ctx.outbox.next_due(self._inflight)  # a finished one wakes us anyway
        if due is None:
            return None
        return max(0.005, due - self.ctx.clock())

    def _start(self, delivery: Delivery) -> None:
        self._inflight.add(delivery.id)
        task = asyncio.create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            sub, outcome = await self._attempt(delivery)
            if outcome.status == "delivered" or sub is None:
                self.ctx.outbox.finish(delivery.id)
            elif outcome.status == "retry" and self._retry(delivery, sub):
                pass
            else:
                await self._give_up(delivery, sub, outcome)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("SNS: delivery %s to %s failed", delivery.id, delivery.subscription_arn)
            self.ctx.outbox.retry_at(delivery.id, self.ctx.clock() + 20.0 / self.time_scale)
        finally:
            self._inflight.discard(delivery.id)
            self._wakeup.set()

    async def _attempt(self, delivery: Delivery) -> tuple[Subscription | None, Outcome]:
        """(the subscription, what the attempt came to); no subscription: nothing owed."""
        if delivery.kind == "unsubscribe":
            gone = Subscription(
                delivery.subscription_arn, delivery.topic_arn, delivery.protocol,
                delivery.endpoint, confirmed=True,
            )  # fmt: skip
            outcome = await self.senders.confirmation(
                envelope.UNSUBSCRIBE_CONFIRMATION, delivery.subscription_arn,
                delivery.topic_arn, delivery.endpoint, delivery.token, self.ctx.clock(),
            )  # fmt: skip
            return gone, outcome
        sub = self.ctx.topics.subscription(delivery.subscription_arn)
        if sub is None:
            return None, Outcome("failed", message="unsubscribed")
        if delivery.kind == "subscribe":
            if sub.confirmed or sub.token != delivery.token:
                return None, Outcome("failed", message="no longer pending")
            outcome = await self.senders.confirmation(
                envelope.SUBSCRIPTION_CONFIRMATION, sub.arn, sub.topic_arn, sub.endpoint,
                delivery.token, self.ctx.clock(),
            )  # fmt: skip
            return sub, outcome
        message = self.ctx.outbox.message(delivery.message_id or "")
        if message is None:
            return None, Outcome("failed", message="message gone")
        return sub, await self.senders.notify(sub, message)

    def _retry(self, delivery: Delivery, sub: Subscription) -> bool:
        """Schedule the next attempt; False when the delivery policy is exhausted."""
        topic = self.ctx.topics.topic(sub.topic_arn)
        policy = delivery_policy.for_protocol(
            sub.protocol,
            topic.attributes.get("DeliveryPolicy") if topic else None,
            sub.attributes.get("DeliveryPolicy"),
        )
        delay = policy.delay_before(delivery.attempts + 1)
        if delay is None:
            return False
        self.ctx.outbox.retry_at(delivery.id, self.ctx.clock() + delay / self.time_scale)
        return True

    async def _give_up(self, delivery: Delivery, sub: Subscription, outcome: Outcome) -> None:
        """A client-side error or an exhausted policy: the dead-letter queue, or nothing."""
        dlq = attributes.dead_letter_arn(sub) if delivery.kind == "notification" else None
        message = self.ctx.outbox.message(delivery.message_id or "") if dlq else None
        if dlq is None or message is None:
            log.warning(
                "SNS: %s to %s dropped after %d attempt(s): %s",
                delivery.kind, sub.endpoint, delivery.attempts + 1, outcome.message,
            )  # fmt: skip
            self.ctx.outbox.finish(delivery.id)
            return
        moved = await self.senders.send_sqs(dlq, sub, message)
        if moved.status == "retry":  # the DLQ itself is unavailable: try again later
            self.ctx.outbox.retry_at(delivery.id, self.ctx.clock() + 20.0 / self.time_scale)
            return
        if moved.delivered:
            log.info("SNS: message %s moved to dead-letter queue %s", message.message_id, dlq)
        else:
            log.error(
                "SNS: could not move a message to the dead-letter queue %s: %s", dlq, moved.message
            )
        self.ctx.outbox.finish(delivery.id)
