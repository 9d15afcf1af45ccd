"""The delivery worker: stored deliveries to their targets, with retries and DLQs.

A delivery is deleted only after its target accepted it (at-least-once). A failed
attempt is retried with exponential back-off (1 s doubling, at most 8 min between
attempts: AWS's 185 attempts then span about 24 hours) until the target's
MaximumRetryAttempts or MaximumEventAgeInSeconds runs out; errors AWS does not
retry (the target does not exist, the payload is refused) give up at once. Giving
up sends the event to the target's dead-letter queue with AWS's attributes
(RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION,
RETRY_ATTEMPTS), or drops it with a warning when there is none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from serverlite.sending import Outcome

from .clock import Clock
from .metrics import EventsMetrics
from .records import Delivery
from .senders import TargetSenders
from .store import EventsDb

log = logging.getLogger("serverlite.events")

BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 480.0


def backoff(attempt: int) -> float:
    """Delay before retry number ``attempt`` (1-based), in (scaled) seconds."""
    return float(min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(0, attempt - 1)))


class TargetWorker:
    def __init__(
        self,
        db: EventsDb,
        senders: TargetSenders,
        clock: Clock,
        max_parallel: int = 64,
        run_replays: Callable[[], bool] | None = None,  # replays run between deliveries
        metrics: EventsMetrics | None = None,
    ) -> None:
        self.metrics = metrics or EventsMetrics(None)
        self.db = db
        self.senders = senders
        self.clock = clock
        self.max_parallel = max_parallel
        self.wakeup = asyncio.Event()
        self._inflight: set[int] = set()
        self._done: list[int] = []
        self._replays_due = True  # a replay may have been running when serverlite stopped
        self._tasks: set[asyncio.Task[None]] = set()
        self.run_replays = run_replays

    def wake(self) -> None:
        self.wakeup.set()

    async def run(self) -> None:
        """Deliver until cancelled."""
        try:
            while True:
                self.wakeup.clear()
                self._flush()
                busy = self._run_replays()
                room = self.max_parallel - len(self._inflight)
                for delivery in self.db.due(self.clock.now(), max(0, room), self._inflight):
                    self._inflight.add(delivery.id)
                    task = asyncio.create_task(self._deliver(delivery))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                wait = 0.0 if busy else self._wait()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), wait)
        finally:
            for task in list(self._tasks):
                task.cancel()
            self._flush()

    def wake_replays(self) -> None:
        self._replays_due = True
        self.wakeup.set()

    def _run_replays(self) -> bool:
        """Replay a batch while replays have work (checked at start and when one starts)."""
        if not self._replays_due or self.run_replays is None:
            return False
        self._replays_due = self.run_replays()
        return self._replays_due

    def _wait(self) -> float | None:
        """Until the next delivery not in flight is due (finishing ones wake the loop)."""
        next_due = self.db.next_due(self._inflight)
        if next_due is None or len(self._inflight) >= self.max_parallel:
            return None
        return max(0.001, next_due - self.clock.now())

    async def _deliver(self, delivery: Delivery) -> None:
        try:
            done = await self.attempt(delivery)
        except Exception:
            log.exception(
                "delivery %s to %s failed unexpectedly", delivery.id, delivery.target["arn"]
            )
            self.db.retry(delivery.id, self.clock.now() + self.clock.real_delay(backoff(1)))
            done = False
        if done:
            self._done.append(delivery.id)  # deleted in a batch by the loop, then forgotten
        else:
            self._inflight.discard(delivery.id)
        self.wakeup.set()

    def _flush(self) -> None:
        if self._done:
            done, self._done = self._done, []
            self.db.delivered(done)
            self._inflight.difference_update(done)

    async def attempt(self, delivery: Delivery) -> bool:
        """One attempt; True when the delivery is finished (delivered or given up)."""
        attempts, max_age = delivery.target["retry"]
        age = self.clock.age(delivery.enqueued_at)
        if age > max_age:
            stale = Outcome("failed", "TIMEOUT", "The event is too old.")
            await self._give_up(delivery, stale, "MaximumEventAgeInSeconds")
            return True
        failure = await self.senders.send(delivery.target, delivery.payload, delivery.event)
        self.metrics.attempted(delivery.target, failure.delivered, delivery.attempts)
        if failure.delivered:
            self.metrics.finished(delivery.target, failed=False)
            return True
        if failure.status == "failed":
            await self._give_up(delivery, failure, None)
        elif delivery.attempts >= attempts:
            await self._give_up(delivery, failure, "MaximumRetryAttempts")
        elif age + backoff(delivery.attempts + 1) > max_age:
            await self._give_up(delivery, failure, "MaximumEventAgeInSeconds")
        else:
            delay = self.clock.real_delay(backoff(delivery.attempts + 1))
            self.db.retry(delivery.id, self.clock.now() + delay)
            return False
        return True

    async def _give_up(self, delivery: Delivery, failure: Outcome, exhausted: str | None) -> None:
        target = delivery.target
        self.metrics.finished(target, failed=True)
        dlq = target.get("dlq")
        if dlq:
            attributes = _dlq_attributes(delivery, failure, exhausted)
            sent = await self.senders.dead_letter(str(dlq), delivery.event, attributes)
            self.metrics.dead_lettered(target, sent)
            if sent:
                return
        log.warning(
            "event to %s (from %s) dropped after %d attempt(s): %s %s%s",
            target["arn"],
            target.get("source"),
            delivery.attempts + 1,
            failure.code,
            failure.message,
            "" if dlq else "; configure a DeadLetterConfig to keep such events",
        )


def _dlq_attributes(delivery: Delivery, failure: Outcome, exhausted: str | None) -> dict[str, str]:
    target = delivery.target
    source_key = "SCHEDULE_ARN" if target.get("kind") == "schedule" else "RULE_ARN"
    attributes = {
        source_key: str(target.get("source", "")),
        "TARGET_ARN": str(target["arn"]),
        "ERROR_CODE": failure.code,
        "ERROR_MESSAGE": failure.message[:1024],
        "RETRY_ATTEMPTS": str(delivery.attempts),
    }
    if exhausted:
        attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
    return attributes
