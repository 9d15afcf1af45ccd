"""One mapping's pollers: receive a batch, invoke the function, delete what succeeded.

As Lambda does for SQS:
- pollers long-poll the queue; five run at first, and while every one is busy and
  batches come back full, one more starts every 200 ms (Lambda adds up to 300 a
  minute) up to ScalingConfig.MaximumConcurrency (default 1,250), never more than
  the function's reserved concurrency;
- a batch is up to BatchSize messages, gathered for up to MaximumBatchingWindowInSeconds
  and kept under the 6 MB invoke payload; messages stay in flight for the queue's
  visibility timeout while the function runs;
- a function error leaves the whole batch to come back after the visibility timeout;
  with ReportBatchItemFailures only the failed messages do (``batch_response``);
- a throttled invoke is retried with back-off until the batch's visibility timeout
  would run out, then left to come back;
- messages no filter matches are deleted without an invocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from serverlite.errors import InvokeError, TooManyRequests
from serverlite.invoker import Invoker, InvokeRequest

from ..engine import SqsEngine
from ..message_store import message_size
from ..receipts import decode
from ..records import Queue, StoredMessage
from .batch_response import BatchOutcome, evaluate
from .filtering import matches
from .records import event_payload, record
from .spec import SqsMapping

log = logging.getLogger("serverlite.sqs")

INITIAL_POLLERS = 5
DEFAULT_MAX_POLLERS = 1250
SCALE_UP_EVERY_S = 0.2
LONG_POLL_S = 20.0
MAX_PAYLOAD = 6 * 1024 * 1024  # Lambda's synchronous invoke limit
PAYLOAD_BUDGET = MAX_PAYLOAD - 64 * 1024  # what receives may gather, estimated generously
MISSING_QUEUE_RETRY_S = 1.0
THROTTLE_BACKOFF_S = (0.05, 1.0)


class MappingPoller:
    def __init__(
        self, mapping: SqsMapping, engine: SqsEngine, invoker: Invoker, max_pollers: int
    ) -> None:
        self.mapping = mapping
        self.engine = engine
        self.invoker = invoker
        self.max_pollers = max(1, max_pollers)
        self._pollers: set[asyncio.Task[None]] = set()
        self._busy = 0
        self._full_batches = False  # the last batch was full: more may be waiting
        self._warned_missing = False

    async def run(self) -> None:
        """Poll until cancelled."""
        try:
            for _ in range(min(INITIAL_POLLERS, self.max_pollers)):
                self._spawn()
            while True:
                await asyncio.sleep(SCALE_UP_EVERY_S)
                if (
                    self._full_batches
                    and self._busy >= len(self._pollers)
                    and len(self._pollers) < self.max_pollers
                ):
                    self._spawn()
        finally:
            for task in list(self._pollers):
                task.cancel()
            for task in list(self._pollers):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    def _spawn(self) -> None:
        task = asyncio.create_task(self._poll())
        self._pollers.add(task)
        task.add_done_callback(self._pollers.discard)

    async def _poll(self) -> None:
        while True:
            queue = self._queue()
            if queue is None:
                await asyncio.sleep(MISSING_QUEUE_RETRY_S)
                continue
            batch = await self.collect(queue)
            if not batch:
                if self.engine.closing or len(self._pollers) > INITIAL_POLLERS:
                    return  # scale back down once the queue is drained
                continue
            self._full_batches = len(batch) >= self.mapping.batch_size
            self._busy += 1
            try:
                await self.process(queue, batch)
            except Exception:
                log.exception("SQS mapping %s: batch failed", self.mapping.origin)
            finally:
                self._busy -= 1

    def _queue(self) -> Queue | None:
        queue = self.engine.queues.get(self.mapping.queue)
        if queue is None and not self._warned_missing:
            log.warning(
                "SQS mapping %s: queue %s does not exist; waiting for it",
                self.mapping.origin,
                self.mapping.queue_arn,
            )
        self._warned_missing = queue is None
        return queue

    async def collect(self, queue: Queue) -> list[StoredMessage]:
        """A batch: the first messages by long poll, then more within the batching window."""
        size = self.mapping.batch_size
        batch = await self.engine.receive(queue, size, wait_s=LONG_POLL_S, max_bytes=PAYLOAD_BUDGET)
        if not batch or not self.mapping.window_s:
            return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.mapping.window_s
        used = sum(_size(m) for m in batch)
        while len(batch) < size and used < PAYLOAD_BUDGET:
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            more = await self.engine.receive(
                queue, size - len(batch), wait_s=remaining, max_bytes=PAYLOAD_BUDGET - used
            )
            batch += more
            used += sum(_size(m) for m in more)
        return batch

    async def process(self, queue: Queue, batch: Sequence[StoredMessage]) -> None:
        region = self.engine.region
        records = [record(m, self.mapping.queue_arn, region, queue.fifo) for m in batch]
        wanted = [matches(self.mapping.filters, r) for r in records]
        if not all(wanted):  # AWS deletes messages that no filter matches
            self._delete(queue, [m for m, keep in zip(batch, wanted, strict=True) if not keep])
        messages = [m for m, keep in zip(batch, wanted, strict=True) if keep]
        if not messages:
            return
        chosen = [r for r, keep in zip(records, wanted, strict=True) if keep]
        payload = event_payload(chosen)
        while len(payload) > MAX_PAYLOAD and len(chosen) > 1:  # the estimate fell short
            keep = max(1, len(chosen) * MAX_PAYLOAD // len(payload) - 1)
            for extra in messages[keep:]:  # back to the queue, for the next batch
                self.engine.change_visibility(queue, decode(extra.receipt_handle), 0)
            messages, chosen = messages[:keep], chosen[:keep]
            payload = event_payload(chosen)
        # The invocation continues the trace of the batch's first traced message
        # (its AWSTraceHeader), as Lambda links SQS-triggered invocations.
        trace = next((m.trace_header for m in messages if m.trace_header), None)
        outcome = await self._invoke(queue, payload, {m.message_id for m in messages}, trace)
        if outcome.whole_batch:
            log.info("SQS mapping %s: batch failed (%s)", self.mapping.origin, outcome.reason)
            return
        self._delete(queue, [m for m in messages if m.message_id not in outcome.failed])

    async def _invoke(
        self, queue: Queue, payload: bytes, ids: set[str], trace: str | None = None
    ) -> BatchOutcome:
        loop = asyncio.get_running_loop()
        # Leave a margin so a retry that finally runs is not cut by the messages returning.
        give_up_at = loop.time() + max(0.0, queue.visibility_timeout - 1.0)
        backoff, longest = THROTTLE_BACKOFF_S
        while True:
            try:
                result = await self.invoker.invoke(
                    InvokeRequest(function=self.mapping.function, payload=payload, trace_id=trace)
                )
                break
            except TooManyRequests:
                if loop.time() + backoff >= give_up_at:
                    return BatchOutcome.failure("throttled until the visibility timeout")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, longest)
            except InvokeError as exc:
                return BatchOutcome.failure(f"{exc.code}: {exc.message}")
        if result.function_error:
            return BatchOutcome.failure(f"function error: {result.payload[:200]!r}")
        if not self.mapping.report_batch_item_failures:
            return BatchOutcome.success()
        return evaluate(result.payload, ids)

    def _delete(self, queue: Queue, messages: Sequence[StoredMessage]) -> None:
        self.engine.delete(queue, [decode(m.receipt_handle) for m in messages])


def _size(message: StoredMessage) -> int:
    return message_size(message.body, sum(len(k) + v.size for k, v in message.attributes.items()))
