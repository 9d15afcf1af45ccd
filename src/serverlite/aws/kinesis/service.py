"""The Kinesis backend: operations by name, the template's streams, and retention.

Records past a stream's retention period are trimmed once a second under `serverlite
up` (and at once when a test moves the clock), as AWS makes them unreadable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from typing import TYPE_CHECKING

from serverlite.aws.backend import (
    Backend,
    JsonService,
    MiB,
    Operation,
    Operations,
    ProvisionedResource,
    ServiceContext,
)
from serverlite.template.model import Application

from . import iam_actions, ops_records, ops_streams
from .context import Context
from .metrics import KinesisMetrics
from .provision import provision
from .store import KinesisStore

if TYPE_CHECKING:
    from serverlite.invoker import Invoker

log = logging.getLogger("serverlite")

OPERATIONS: dict[str, Operation] = {
    "CreateStream": ops_streams.create_stream,
    "DeleteStream": ops_streams.delete_stream,
    "DescribeStream": ops_streams.describe_stream,
    "DescribeStreamSummary": ops_streams.describe_stream_summary,
    "ListStreams": ops_streams.list_streams,
    "ListShards": ops_streams.list_shards,
    "IncreaseStreamRetentionPeriod": ops_streams.increase_stream_retention_period,
    "DecreaseStreamRetentionPeriod": ops_streams.decrease_stream_retention_period,
    "AddTagsToStream": ops_streams.add_tags_to_stream,
    "RemoveTagsFromStream": ops_streams.remove_tags_from_stream,
    "ListTagsForStream": ops_streams.list_tags_for_stream,
    "PutRecord": ops_records.put_record,
    "PutRecords": ops_records.put_records,
    "GetShardIterator": ops_records.get_shard_iterator,
    "GetRecords": ops_records.get_records,
}
TRIM_INTERVAL_S = 1.0
# PutRecords: 500 records of up to 5 MiB in all, base64 in JSON (4/3) plus keys.
MAX_REQUEST_BYTES = 8 * MiB


class Kinesis(Backend):
    name = "kinesis"
    title = "Kinesis Data Streams"

    def __init__(self, context: ServiceContext) -> None:
        self.ctx = Context(
            KinesisStore(
                context.state_dir / "kinesis.db",
                lambda name: f"arn:aws:kinesis:{context.region}:{context.account_id}:stream/{name}",
            ),
            context.clock,
            context.region,
            context.account_id,
            KinesisMetrics(getattr(context.observer, "publisher", None)),
        )
        self._trimmer: asyncio.Task[None] | None = None
        self._json = JsonService(
            target_prefix="Kinesis_20131202",
            json_version="1.1",
            operations=Operations(
                "Kinesis",
                self.ctx,
                OPERATIONS,
                internal="InternalFailure",
                iam=iam_actions.iam_map(self.ctx),
            ),
            max_request_bytes=MAX_REQUEST_BYTES,
        )

    @property
    def json(self) -> JsonService:
        return self._json

    def provision(self, app: Application) -> list[ProvisionedResource]:
        rows = provision(self.ctx, app)
        self.ctx.store.trim(self.ctx.clock())  # what aged out while serverlite was stopped
        return rows

    def reset(self) -> None:
        self.ctx.store.truncate()

    def clock_moved(self) -> None:
        self.ctx.store.trim(self.ctx.clock())

    async def _trim_forever(self) -> None:
        while True:
            try:
                self.ctx.store.trim(self.ctx.clock())
            except sqlite3.Error:
                log.exception("Kinesis retention trim failed")
            await asyncio.sleep(TRIM_INTERVAL_S)

    async def start_event_sources(self, invoker: Invoker) -> None:
        self._trimmer = asyncio.get_running_loop().create_task(self._trim_forever())

    async def stop_event_sources(self) -> None:
        task, self._trimmer = self._trimmer, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def close(self) -> None:
        if self._trimmer is not None:
            self._trimmer.cancel()
            self._trimmer = None
        self.ctx.store.close()
