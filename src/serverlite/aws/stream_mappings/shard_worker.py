"""One mapping on one shard: read a batch, deliver it, checkpoint, repeat.

As Lambda does for Kinesis and DynamoDB Streams:
- a batch is up to BatchSize records, gathered for up to MaximumBatchingWindowInSeconds;
- records no filter matches are skipped (and checkpointed past) without an invoke;
- ParallelizationFactor N delivers up to N sub-batches of one batch at once, each
  record going by its partition key (Kinesis) or item keys (DynamoDB), so records of
  one key stay in order; the shard moves on when every sub-batch is done;
- a failing batch blocks its shard until it succeeds or is given up (``delivery``);
- TumblingWindowInSeconds: records are grouped by the window their arrival falls in;
  each invoke carries the window and the state the previous invoke returned, and once
  the window has passed a last invoke with ``isFinalInvokeForWindow`` ends it.

serverlite polls an idle shard every few milliseconds (AWS polls about once a second
for Kinesis and four times a second for DynamoDB Streams), so local runs and tests do
not wait on the poll.
"""

from __future__ import annotations

import asyncio
import datetime
import logging
import math
import zlib
from collections.abc import Callable, Sequence
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.observe.metrics import dims
from serverlite.patterns import Pattern

from .checkpoints import Checkpoints
from .delivery import Answer, Delivery
from .sources import Source, StreamRecord
from .spec import StreamMapping

log = logging.getLogger("serverlite.streams")

IDLE_POLL_S = 0.005
MISSING_RETRY_S = 1.0


def _iso(moment: float) -> str:
    stamp = datetime.datetime.fromtimestamp(moment, tz=datetime.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def matches(filters: Sequence[Pattern], document: Any) -> bool:
    return not filters or any(pattern.matches(document) for pattern in filters)


class ShardWorker:
    def __init__(
        self,
        mapping: StreamMapping,
        source: Source,
        shard: str,
        checkpoints: Checkpoints,
        delivery: Delivery,
        clock: Callable[[], float],
        publisher: Any = None,  # AWS/Lambda IteratorAge
    ) -> None:
        self.mapping = mapping
        self.source = source
        self.shard = shard
        self.checkpoints = checkpoints
        self.delivery = delivery
        self.clock = clock
        self.iterator_age_ms = 0.0  # of the last batch done: how far behind the shard is
        self.publisher = publisher if getattr(publisher, "enabled", False) else None
        name = mapping.function
        self._dimensions = (dims(FunctionName=name), dims(FunctionName=name, Resource=name))

    # -- where to read from ------------------------------------------------------------

    async def _start(self) -> str:
        position = self.checkpoints.get(self.mapping.uuid, self.shard)
        if position is None:
            if self.mapping.starting_position == "TRIM_HORIZON":
                return await self.source.iterator(self.shard, "TRIM_HORIZON")
            moment = self.mapping.starting_timestamp
            if moment is None:  # LATEST: from now on, kept across restarts
                moment = self.clock()
            position = f"at:{moment!r}"
            self.checkpoints.save(self.mapping.uuid, self.shard, position)
        if position.startswith("at:"):
            moment = min(float(position[3:]), self.clock())
            return await self.source.iterator(self.shard, "AT_TIMESTAMP", Timestamp=moment)
        try:
            return await self.source.iterator(
                self.shard, "AFTER_SEQUENCE_NUMBER", **{self.source.sequence_param(): position}
            )
        except AwsError as exc:
            if exc.code != "TrimmedDataAccessException":
                raise
            log.warning(
                "stream mapping %s (%s): records after the checkpoint expired; reading from "
                "the trim horizon",
                self.mapping.origin,
                self.shard,
            )
            return await self.source.iterator(self.shard, "TRIM_HORIZON")

    async def _collect(self, iterator: str) -> tuple[list[StreamRecord], str | None]:
        size = self.mapping.batch_size
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.mapping.window_s
        batch: list[StreamRecord] = []
        current: str | None = iterator
        while current is not None:
            raws, current = await self.source.read(current, size - len(batch))
            batch += [self.source.record(self.shard, raw) for raw in raws]
            remaining = deadline - loop.time()
            if len(batch) >= size or remaining <= 0 or (not batch and not raws):
                break
            if not raws:
                await asyncio.sleep(min(IDLE_POLL_S * 10, remaining))
        return batch, current

    # -- the loop ------------------------------------------------------------------------

    async def run(self) -> None:
        iterator: str | None = None
        warned = False
        while True:
            try:
                if iterator is None:
                    iterator = await self._start()
                batch, following = await self._collect(iterator)
            except AwsError as exc:
                iterator = None
                if exc.code == "ExpiredIteratorException":
                    continue  # from the checkpoint again
                if not warned:
                    log.warning(
                        "stream mapping %s (%s): %s: %s; retrying",
                        self.mapping.origin,
                        self.shard,
                        exc.code,
                        exc.message,
                    )
                warned = True
                await asyncio.sleep(MISSING_RETRY_S)
                continue
            warned = False
            if batch:
                if self.publisher is not None:
                    # Lambda's IteratorAge: the age of the batch's last record when the
                    # event is sent to the function.
                    age = max(0.0, (self.clock() - batch[-1].arrival) * 1000)
                    self.publisher.record(
                        "AWS/Lambda", "IteratorAge", self._dimensions, age, "Milliseconds"
                    )
                await self._process(batch)
                self.checkpoints.save(self.mapping.uuid, self.shard, batch[-1].sequence)
                self.iterator_age_ms = max(0.0, (self.clock() - batch[-1].arrival) * 1000)
                log.debug(
                    "stream mapping %s (%s): IteratorAge %.0f ms",
                    self.mapping.origin,
                    self.shard,
                    self.iterator_age_ms,
                )
            if following is None:
                log.info("stream mapping %s: shard %s is closed", self.mapping.origin, self.shard)
                return
            iterator = following
            if not batch:
                await self._end_window_if_due()
                await asyncio.sleep(IDLE_POLL_S)

    async def _process(self, batch: Sequence[StreamRecord]) -> None:
        chosen = [r for r in batch if matches(self.mapping.filters, self.source.filter_document(r))]
        if not chosen:
            return
        if self.mapping.tumbling_window_s:
            await self._windowed(chosen)
            return
        factor = self.mapping.parallelization
        if factor == 1:
            await self.delivery.deliver(chosen)
            return
        groups: list[list[StreamRecord]] = [[] for _ in range(factor)]
        for record in chosen:
            groups[zlib.crc32(record.key.encode()) % factor].append(record)
        await asyncio.gather(*(self.delivery.deliver(g) for g in groups if g))

    # -- tumbling windows ------------------------------------------------------------------

    def _window_event(
        self, records: Sequence[StreamRecord], start: float, state: dict[str, Any], final: bool
    ) -> dict[str, Any]:
        return {
            "Records": [r.event for r in records],
            "window": {
                "start": _iso(start),
                "end": _iso(start + self.mapping.tumbling_window_s),
            },
            "state": state,
            "shardId": self.shard,
            "eventSourceARN": self.mapping.source_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": False,
        }

    async def _windowed(self, records: Sequence[StreamRecord]) -> None:
        size = self.mapping.tumbling_window_s
        groups: list[tuple[float, list[StreamRecord]]] = []
        for record in records:
            start = float(math.floor(record.arrival / size) * size)
            if groups and groups[-1][0] == start:
                groups[-1][1].append(record)
            else:
                groups.append((start, [record]))
        for start, group in groups:
            opened = self.checkpoints.window(self.mapping.uuid, self.shard)
            if opened is not None and opened[0] != start:
                await self._end_window(*opened)
                opened = None
            state: dict[str, Any] = opened[1] if opened is not None else {}

            async def invoke(part: Sequence[StreamRecord], start: float = start) -> Answer:
                nonlocal state
                event = self._window_event(part, start, state, final=False)
                answer = await self.delivery.invoke_event(part, event)
                if answer.ok and isinstance(answer.payload, dict):
                    returned = answer.payload.get("state")
                    state = returned if isinstance(returned, dict) else {}
                return answer

            await self.delivery.deliver(group, invoke=invoke)
            self.checkpoints.save_window(self.mapping.uuid, self.shard, start, state)

    async def _end_window(self, start: float, state: dict[str, Any]) -> None:
        event = self._window_event([], start, state, final=True)
        answer = await self.delivery.invoke_event([], event)
        if not answer.ok:
            log.warning(
                "stream mapping %s (%s): the final invoke of a window failed: %s",
                self.mapping.origin,
                self.shard,
                answer.error,
            )
        self.checkpoints.save_window(self.mapping.uuid, self.shard, None, {})

    async def _end_window_if_due(self) -> None:
        if not self.mapping.tumbling_window_s:
            return
        opened = self.checkpoints.window(self.mapping.uuid, self.shard)
        if opened is not None and self.clock() >= opened[0] + self.mapping.tumbling_window_s:
            await self._end_window(*opened)
