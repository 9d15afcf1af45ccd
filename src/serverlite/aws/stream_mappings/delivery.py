"""One batch to the function, and what its answer means, as Lambda reads it for streams.

- A function error fails the batch; with BisectBatchOnFunctionError it is split in two
  and each half retried (a split does not use up MaximumRetryAttempts, as AWS says).
- With ReportBatchItemFailures, ``{"batchItemFailures": [{"itemIdentifier": seq}]}``
  checkpoints before the lowest failed sequence number: the records before it are
  done, the rest are retried. An identifier that is no record of the batch fails the
  whole batch.
- Retries go on until MaximumRetryAttempts or MaximumRecordAgeInSeconds is reached
  (never, by default: the shard waits, as on AWS); then the batch's description goes
  to the on-failure destination (an SQS queue or SNS topic) and the shard moves on.
- A throttled invoke is retried without counting, until the records are too old.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from serverlite.errors import InvokeError, TooManyRequests
from serverlite.invoker import Invoker, InvokeRequest
from serverlite.sending import Message, TargetSender

from .sources import StreamRecord
from .spec import StreamMapping

log = logging.getLogger("serverlite.streams")

RETRY_BACKOFF_S = (0.05, 2.0)
Event = Callable[[Sequence[StreamRecord]], dict[str, Any]]


@dataclass(frozen=True)
class Answer:
    ok: bool
    failed_from: int = 0  # with ok False: the index of the first record to retry
    error: str = ""
    payload: Any = None  # the function's answer, parsed (tumbling windows' state)


def _iso(moment: float) -> str:
    stamp = datetime.datetime.fromtimestamp(moment, tz=datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def read_answer(mapping: StreamMapping, records: Sequence[StreamRecord], body: bytes) -> Answer:
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    if not mapping.report_batch_item_failures:
        return Answer(True, payload=payload)
    failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
    if not failures:  # null, absent or empty: the whole batch succeeded
        return Answer(True, payload=payload)
    positions = {r.sequence: i for i, r in enumerate(records)}
    lowest = len(records)
    for failure in failures if isinstance(failures, list) else [None]:
        wanted = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if wanted not in positions:
            return Answer(False, 0, f"invalid batchItemFailures entry {failure!r}", payload)
        lowest = min(lowest, positions[wanted])
    return Answer(False, lowest, "the function reported batch item failures", payload)


class Delivery:
    """Delivers batches of one shard of one mapping."""

    def __init__(
        self,
        mapping: StreamMapping,
        invoker: Invoker,
        sender: TargetSender | None,
        shard: str,
        clock: Callable[[], float],
        event: Event,
    ) -> None:
        self.mapping = mapping
        self.invoker = invoker
        self.sender = sender
        self.shard = shard
        self.clock = clock
        self.event = event

    async def invoke(self, records: Sequence[StreamRecord]) -> Answer:
        """Invoke once with the batch's event (retrying throttles); the answer."""
        return await self.invoke_event(records, self.event(records))

    async def invoke_event(self, records: Sequence[StreamRecord], event: dict[str, Any]) -> Answer:
        payload = json.dumps(event).encode()
        backoff, longest = RETRY_BACKOFF_S
        while True:
            try:
                result = await self.invoker.invoke(
                    InvokeRequest(function=self.mapping.function, payload=payload, event=event)
                )
                break
            except TooManyRequests:
                if self._too_old(records):
                    return Answer(False, 0, "throttled until the records expired")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, longest)
            except InvokeError as exc:
                return Answer(False, 0, f"{exc.code}: {exc.message}")
        if result.function_error:
            return Answer(False, 0, f"function error: {result.payload[:200]!r}")
        return read_answer(self.mapping, records, result.payload)

    def _too_old(self, records: Sequence[StreamRecord]) -> bool:
        age = self.mapping.max_age_s
        return age != -1 and bool(records) and self.clock() - records[0].arrival > age

    async def deliver(
        self,
        records: Sequence[StreamRecord],
        retries: int = 0,
        invoke: Callable[[Sequence[StreamRecord]], Awaitable[Answer]] | None = None,
    ) -> None:
        """Deliver ``records`` in order until done: delivered, or handed to on-failure."""
        run = invoke or self.invoke
        pending = list(records)
        backoff, longest = RETRY_BACKOFF_S
        while pending:
            if self._too_old(pending):
                await self.give_up(pending, "RecordAgeExceeded", retries)
                return
            answer = await run(pending)
            if answer.ok:
                return
            log.info(
                "stream mapping %s (%s): batch of %d failed: %s",
                self.mapping.origin,
                self.shard,
                len(pending),
                answer.error,
            )
            if answer.failed_from > 0:
                pending = pending[answer.failed_from :]  # the records before are done
            elif self.mapping.bisect and len(pending) > 1:
                half = len(pending) // 2
                await self.deliver(pending[:half], retries, run)
                await self.deliver(pending[half:], retries, run)
                return
            retries += 1
            if self.mapping.max_retries != -1 and retries > self.mapping.max_retries:
                await self.give_up(pending, "RetryAttemptsExhausted", retries)
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, longest)

    async def give_up(self, records: Sequence[StreamRecord], condition: str, retries: int) -> None:
        """Skip ``records``; their description goes to the on-failure destination."""
        log.warning(
            "stream mapping %s (%s): %d records skipped (%s)%s",
            self.mapping.origin,
            self.shard,
            len(records),
            condition,
            f", described to {self.mapping.on_failure}" if self.mapping.on_failure else "",
        )
        if self.mapping.on_failure is None or self.sender is None:
            return
        record = self.failure_record(records, condition, retries)
        outcome = await self.sender.send(self.mapping.on_failure, Message(json.dumps(record)))
        if outcome.status != "delivered":
            log.warning(
                "stream mapping %s: the on-failure record could not be sent: %s",
                self.mapping.origin,
                outcome.message,
            )

    def failure_record(
        self, records: Sequence[StreamRecord], condition: str, retries: int
    ) -> dict[str, Any]:
        """The invocation record Lambda sends for a stream batch it gave up on."""
        info_key = "KinesisBatchInfo" if self.mapping.kind == "kinesis" else "DDBStreamBatchInfo"
        return {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.mapping.function_arn,
                "condition": condition,
                "approximateInvokeCount": retries + (1 if condition != "RecordAgeExceeded" else 0),
            },
            "responseContext": {
                "statusCode": 200,
                "executedVersion": "$LATEST",
                "functionError": "Unhandled",
            },
            "version": "1.0",
            "timestamp": _iso(self.clock()),
            info_key: {
                "shardId": self.shard,
                "startSequenceNumber": records[0].sequence,
                "endSequenceNumber": records[-1].sequence,
                "approximateArrivalOfFirstRecord": _iso(records[0].arrival),
                "approximateArrivalOfLastRecord": _iso(records[-1].arrival),
                "batchSize": len(records),
                "streamArn": self.mapping.source_arn,
            },
        }
