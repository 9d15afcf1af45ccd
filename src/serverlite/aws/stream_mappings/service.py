"""The stream mappings backend: the template's mappings in the startup table, and one
worker per mapping per shard under `serverlite up`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from serverlite.aws.arn_sender import ArnSender
from serverlite.aws.backend import (
    AwsError,
    Backend,
    Operations,
    ProvisionedResource,
    RestJsonService,
    ServiceContext,
)
from serverlite.template.model import Application, FunctionSpec

from . import api
from .checkpoints import Checkpoints
from .delivery import Delivery
from .shard_worker import MISSING_RETRY_S, ShardWorker
from .sources import StreamRecord, source_for
from .spec import StreamMapping, from_api, mappings

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
        self.api_bodies: dict[str, dict[str, Any]] = {}  # CreateEventSourceMapping's requests
        self.modified: dict[str, float] = {}
        self.workers: list[ShardWorker] = []
        self.app: Application | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._running: tuple[Invoker, ArnSender] | None = None
        self._rest = RestJsonService(
            api.ROUTES,
            Operations("Lambda", self, api.OPERATIONS, internal="ServiceException"),
        )

    @property
    def rest(self) -> RestJsonService:
        """Lambda's event source mapping API (stream sources)."""
        return self._rest

    # -- the API's side ---------------------------------------------------------------

    def function(self, name: Any) -> FunctionSpec:
        fn = self.app.find_function(str(name)) if self.app and isinstance(name, str) else None
        if fn is None:
            raise AwsError(
                "ResourceNotFoundException", f"Function not found: {name}", 404, Type="User"
            )
        return fn

    def find(self, mapping_id: str) -> StreamMapping:
        return api.find_or_fail(self.mappings, mapping_id)

    def add(self, mapping: StreamMapping, body: dict[str, Any]) -> None:
        now = self.context.clock()
        self.checkpoints.save_api_mapping(mapping.uuid, body, now)
        self.mappings.append(mapping)
        self.api_bodies[mapping.uuid] = body
        self.modified[mapping.uuid] = now
        self._start(mapping)

    def replace(self, mapping: StreamMapping, body: dict[str, Any]) -> None:
        self._stop(mapping.uuid)
        self.mappings = [m for m in self.mappings if m.uuid != mapping.uuid]
        self.add(mapping, body)

    def remove(self, mapping: StreamMapping) -> None:
        self._stop(mapping.uuid)
        self.checkpoints.delete_api_mapping(mapping.uuid)
        self.mappings = [m for m in self.mappings if m.uuid != mapping.uuid]
        self.api_bodies.pop(mapping.uuid, None)

    def _start(self, mapping: StreamMapping) -> None:
        if self._running is not None and mapping.enabled:
            invoker, sender = self._running
            task = asyncio.get_running_loop().create_task(self._run(mapping, invoker, sender))
            self._tasks[mapping.uuid] = task

    def _stop(self, mapping_id: str) -> None:
        task = self._tasks.pop(mapping_id, None)
        if task is not None:
            task.cancel()
        self.workers = [w for w in self.workers if w.mapping.uuid != mapping_id]

    def _api_mappings(self) -> list[StreamMapping]:
        made = []
        for mapping_id, body, modified in self.checkpoints.api_mappings():
            try:
                fn = self.function(body.get("FunctionName"))
                made.append(from_api(mapping_id, fn, body, api.refuse))
            except AwsError as exc:
                log.warning("event source mapping %s is not started: %s", mapping_id, exc.message)
                continue
            self.api_bodies[mapping_id] = body
            self.modified[mapping_id] = modified
        return made

    # -- the template's side ------------------------------------------------------------

    def provision(self, app: Application) -> list[ProvisionedResource]:
        self.app = app
        self.mappings = mappings(app)
        for mapping in self.mappings:
            self.modified.setdefault(mapping.uuid, self.context.clock())
        self.mappings += self._api_mappings()
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
        self._running = (invoker, sender)
        for mapping in self.mappings:
            self._start(mapping)

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
                ShardWorker(
                    mapping,
                    source,
                    shard,
                    self.checkpoints,
                    delivery,
                    self.context.clock,
                    getattr(self.context.observer, "publisher", None),
                )
            )
        self.workers += workers
        await asyncio.gather(*(w.run() for w in workers))

    def iterator_ages(self) -> dict[tuple[str, str], float]:
        """(mapping uuid, shard) -> milliseconds behind: Lambda's IteratorAge metric."""
        return {(w.mapping.uuid, w.shard): w.iterator_age_ms for w in self.workers}

    async def stop_event_sources(self) -> None:
        tasks, self._tasks = list(self._tasks.values()), {}
        self._running = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def reset(self) -> None:
        self.checkpoints.reset()

    def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self.checkpoints.close()
