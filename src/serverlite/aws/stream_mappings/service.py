"""The stream mappings backend: the template's mappings in the startup table, and one
worker per mapping per shard under `serverlite up`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from serverlite.aws.arn_sender import ArnSender
from serverlite.aws.backend import AwsError, Backend, ProvisionedResource, ServiceContext
from serverlite.template.model import Application

from .checkpoints import Checkpoints
from .delivery import Delivery
from .shard_worker import MISSING_RETRY_S, ShardWorker
from .sources import StreamRecord, source_for
from .spec import StreamMapping, mappings

if TYPE_CHECKING:
    from serverlite.invoker import Invoker

log = logging.getLogger("serverlite.streams")


def _records_event(records: Sequence[StreamRecord]) -> dict[str, Any]:
    return {"Records": [r.event for r in records]}


class StreamMappings(Backend):
    name = "streammappings"
    title = "Stream event source mappings"

    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.checkpoints = Checkpoints(context.state_dir / "stream_mappings.db")
        self.mappings: list[StreamMapping] = []
        self.workers: list[ShardWorker] = []
        self._tasks: list[asyncio.Task[None]] = []

    def provision(self, app: Application) -> list[ProvisionedResource]:
        self.mappings = mappings(app)
        rows = []
        for mapping in self.mappings:
            stream = mapping.source_arn.split(":", 5)[5]
            state = "" if mapping.enabled else " (disabled)"
            rows.append(
                ProvisionedResource(
                    "lambda",
                    "event source mapping",
                    f"{stream} -> {mapping.function}",
                    f"batch {mapping.batch_size} · {mapping.starting_position}{state}",
                )
            )
        return rows

    async def start_event_sources(self, invoker: Invoker) -> None:
        sender = ArnSender(self.context.aws, invoker.invoke, self.context.endpoint_url)
        for mapping in self.mappings:
            if mapping.enabled:
                self._tasks.append(asyncio.create_task(self._run(mapping, invoker, sender)))

    async def _run(self, mapping: StreamMapping, invoker: Invoker, sender: ArnSender) -> None:
        source = source_for(self.context.aws, mapping, self.context.region)
        warned = False
        while True:
            try:
                shards = await source.shards()
                break
            except AwsError as exc:
                if not warned:
                    log.warning(
                        "stream mapping %s: %s does not answer (%s: %s); waiting for it",
                        mapping.origin,
                        mapping.source_arn,
                        exc.code,
                        exc.message,
                    )
                warned = True
                await asyncio.sleep(MISSING_RETRY_S)
        workers = []
        for shard in shards:
            delivery = Delivery(mapping, invoker, sender, shard, self.context.clock, _records_event)
            workers.append(
                ShardWorker(mapping, source, shard, self.checkpoints, delivery, self.context.clock)
            )
        self.workers += workers
        await asyncio.gather(*(w.run() for w in workers))

    def iterator_ages(self) -> dict[tuple[str, str], float]:
        """(mapping uuid, shard) -> milliseconds behind: Lambda's IteratorAge metric."""
        return {(w.mapping.uuid, w.shard): w.iterator_age_ms for w in self.workers}

    async def stop_event_sources(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def reset(self) -> None:
        self.checkpoints.reset()

    def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        self.checkpoints.close()
