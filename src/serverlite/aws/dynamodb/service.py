"""The DynamoDB backend: operations by name, provisioning, and the TTL sweeper.

Handlers run SQLite on the event loop's thread with one connection: a GetItem is a
few tens of microseconds of SQLite, less than a thread hand-off would cost, and one
writer at a time makes every operation atomic without locks.

Time to live follows what AWS documents: an expired item is *not* filtered from
reads; it stays visible until a background process deletes it. AWS deletes within
days; serverlite's sweeper runs every second, so expired items disappear within
about a second under `serverlite up` (the sweeper runs with the event sources).
As on AWS, items whose TTL is more than five years in the past are never deleted,
and a TTL attribute that is not a number is ignored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from serverlite.aws.backend import (
    Backend,
    Deferred,
    JsonService,
    MiB,
    Operations,
    ProvisionedResource,
    ServiceContext,
)
from serverlite.template.model import Application

from . import iam_actions, ops_tables, streams_api
from .context import Context
from .provision import provision
from .storage import Storage
from .stream_log import TTL_IDENTITY
from .throughput import READS, WRITES, Throughput, governed

if TYPE_CHECKING:
    from serverlite.invoker import Invoker

log = logging.getLogger("serverlite")

Operation = Callable[[Context, dict[str, Any]], dict[str, Any]]


def _later(where: str) -> Operation:
    """Item, read, batch and transaction operations: imported on their first call
    (they bring in the expression language; ListTables and DescribeTable do not)."""
    return Deferred(f"{__package__}.{where}")


OPERATIONS: dict[str, Operation] = {
    "CreateTable": ops_tables.create_table,
    "DescribeTable": ops_tables.describe_table,
    "ListTables": ops_tables.list_tables,
    "DeleteTable": ops_tables.delete_table,
    "UpdateTable": ops_tables.update_table,
    "UpdateTimeToLive": ops_tables.update_time_to_live,
    "DescribeTimeToLive": ops_tables.describe_time_to_live,
    "TagResource": ops_tables.tag_resource,
    "UntagResource": ops_tables.untag_resource,
    "ListTagsOfResource": ops_tables.list_tags_of_resource,
    "DescribeLimits": ops_tables.describe_limits,
    "DescribeEndpoints": ops_tables.describe_endpoints,
    "DescribeContinuousBackups": ops_tables.describe_continuous_backups,
    "GetItem": _later("ops_items:get_item"),
    "PutItem": _later("ops_items:put_item"),
    "UpdateItem": _later("ops_items:update_item"),
    "DeleteItem": _later("ops_items:delete_item"),
    "Query": _later("ops_reads:query"),
    "Scan": _later("ops_reads:scan"),
    "BatchGetItem": _later("ops_batch:batch_get_item"),
    "BatchWriteItem": _later("ops_batch:batch_write_item"),
    "TransactWriteItems": _later("ops_transact:transact_write_items"),
    "TransactGetItems": _later("ops_transact:transact_get_items"),
}

TTL_INTERVAL_S = 1.0
TTL_HORIZON_S = 5 * 365 * 24 * 3600  # AWS ignores TTL values more than 5 years old
TTL_BATCH = 500
MAX_REQUEST_BYTES = 16 * MiB  # DynamoDB's limit on one request (BatchWriteItem's 16 MB)


class DynamoDB(Backend):
    name = "dynamodb"
    title = "DynamoDB"

    def __init__(self, context: ServiceContext, ttl_interval_s: float = TTL_INTERVAL_S) -> None:
        self.storage = Storage(context.state_dir / "dynamodb.db", context.clock)
        self.ctx = Context(self.storage, context.clock, context.region, context.account_id)
        self.ttl_interval_s = ttl_interval_s
        observer = context.observer
        publisher = observer.publisher if observer is not None else None
        # Provisioned tables' token buckets; AWS/DynamoDB capacity and throttle metrics.
        self.throughput = Throughput(
            context.clock,
            publisher.record if publisher is not None and publisher.enabled else None,
        )
        operations = {
            name: governed(name, op, self.throughput) if name in READS | WRITES else op
            for name, op in OPERATIONS.items()
        }
        self._sweeper: asyncio.Task[None] | None = None
        self._json = JsonService(
            target_prefix="DynamoDB_20120810",
            json_version="1.0",
            operations=Operations(
                "DynamoDB",
                self.ctx,
                operations,
                internal="InternalServerError",
                iam=iam_actions.iam_map(self.ctx),
            ),
            error_namespace="com.amazonaws.dynamodb.v20120810#",
            max_request_bytes=MAX_REQUEST_BYTES,
        )
        self.streams = DynamoDBStreams(self.ctx)

    @property
    def json(self) -> JsonService:
        return self._json

    def companions(self) -> tuple[Backend, ...]:
        return (self.streams,)

    def provision(self, app: Application) -> list[ProvisionedResource]:
        rows = provision(self.ctx, app)
        while self.sweep():  # items that expired while serverlite was not running
            pass
        return rows

    def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        self.storage.close()

    # -- TTL --------------------------------------------------------------------------

    def reset(self) -> None:
        self.storage.truncate()

    def clock_moved(self) -> None:
        while self.sweep():  # what expired in the jump goes now, not at the next sweep
            pass

    def sweep(self) -> int:
        """Delete expired items (at most TTL_BATCH per table); returns how many."""
        now = self.ctx.clock()
        deleted = 0
        with self.storage.transaction():
            self.storage.streams.trim(now)  # the 24-hour retention of stream records
        for table in list(self.storage.tables.values()):
            if table.ttl_attribute is None:
                continue
            expired = self.storage.expired(table, now, now - TTL_HORIZON_S, TTL_BATCH)
            if not expired:
                continue
            with self.storage.transaction():
                for stored in expired:
                    # AWS's TTL process signs its deletions in the stream record.
                    self.storage.delete(table, stored, TTL_IDENTITY)
            deleted += len(expired)
        return deleted

    async def _sweep_forever(self) -> None:
        while True:
            try:
                while self.sweep() > 0:
                    await asyncio.sleep(0)  # more to do: let requests in between batches
            except sqlite3.Error:
                log.exception("DynamoDB TTL sweep failed")
            await asyncio.sleep(self.ttl_interval_s)

    async def start_event_sources(self, invoker: Invoker) -> None:
        """Start the TTL sweeper (a background worker, as AWS's TTL process is)."""
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep_forever())

    async def stop_event_sources(self) -> None:
        task, self._sweeper = self._sweeper, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


STREAM_OPERATIONS: dict[str, Operation] = {
    "ListStreams": streams_api.list_streams,
    "DescribeStream": streams_api.describe_stream,
    "GetShardIterator": streams_api.get_shard_iterator,
    "GetRecords": streams_api.get_records,
}


class DynamoDBStreams(Backend):
    """botocore's ``dynamodbstreams``: a service of its own on the wire, reading the
    records DynamoDB writes with its items (``stream_log.py``)."""

    name = "dynamodbstreams"
    title = "DynamoDB Streams"

    def __init__(self, ctx: Context) -> None:
        self._json = JsonService(
            target_prefix="DynamoDBStreams_20120810",
            json_version="1.0",
            operations=Operations(
                "DynamoDB Streams",
                ctx,
                STREAM_OPERATIONS,
                internal="InternalServerError",
                iam=iam_actions.streams_map(),
            ),
            error_namespace="com.amazonaws.dynamodb.v20120810#",
        )

    @property
    def json(self) -> JsonService:
        return self._json
