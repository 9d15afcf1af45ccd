"""Provisioned throughput: AWS's token buckets, burst credit and throttling.

A table (or global secondary index) in PROVISIONED mode gets one bucket for reads and
one for writes, filled at its RCU / WCU per second of the (virtual) clock and holding
at most 300 seconds of unused capacity (AWS's "burst capacity": DynamoDB Developer
Guide, "Burst capacity"). A bucket starts with one second of capacity: burst credit is
built from capacity left unused, and a table that has just started has none yet.

As DynamoDB does, a request is let in while its buckets hold anything, and what it
actually consumed (known only once read: a Query's size is not known in advance) is
taken after it ran, so a bucket can go below zero and a large read is paid off by the
following seconds. A request that finds a bucket empty fails with
ProvisionedThroughputExceededException (AWS's wording) and consumes nothing.

Local secondary indexes share their table's capacity; global secondary indexes have
their own, and a write to the table is throttled when any GSI's write bucket is empty
(AWS's "GSI back-pressure"), with the GSI message. BatchGetItem and BatchWriteItem
return a throttled table's requests in UnprocessedKeys / UnprocessedItems and fail
only when every table in the batch is throttled, as AWS documents.

Every request also publishes the AWS/DynamoDB metrics: ConsumedRead/WriteCapacityUnits
(by TableName, and TableName + GlobalSecondaryIndexName), Read/WriteThrottleEvents
(same dimensions) and ThrottledRequests (by TableName and Operation). PAY_PER_REQUEST
tables are never throttled here (AWS's on-demand limits are far above a laptop's load).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.observe.metrics import Dimensions, dims

from .capacity import read_mode
from .context import Context
from .schema import TableDef

BURST_SECONDS = 300.0  # AWS keeps up to five minutes of unused capacity
NAMESPACE = "AWS/DynamoDB"

TABLE_MESSAGE = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)
INDEX_MESSAGE = (
    "The level of configured provisioned throughput for one or more global secondary "
    "indexes of the table was exceeded. Consider increasing your provisioning level for "
    "the under-provisioned global secondary indexes with the UpdateTable API"
)

READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})

Operation = Callable[[Context, dict[str, Any]], dict[str, Any]]
Publish = Callable[[str, str, tuple[Dimensions, ...], float, str], None]


@dataclass
class Bucket:
    tokens: float
    at: float

    def refill(self, rate: float, now: float) -> float:
        elapsed = max(0.0, now - self.at)
        self.tokens = min(rate * BURST_SECONDS, self.tokens + rate * elapsed)
        self.at = now
        return self.tokens


def throttled(message: str) -> AwsError:
    return AwsError("ProvisionedThroughputExceededException", message)


class Throughput:
    """The buckets of every provisioned table and index, in memory (as AWS's burst
    credit is not something a restart should be able to lose or forge)."""

    def __init__(self, clock: Callable[[], float], publish: Publish | None = None) -> None:
        self.clock = clock
        self.publish = publish
        self._buckets: dict[tuple[int, str, str, str], Bucket] = {}

    # -- buckets ------------------------------------------------------------------------
    def _rate(self, table: TableDef, index: str, kind: str) -> float:
        if table.billing_mode != "PROVISIONED":
            return 0.0
        if index:
            found = table.index(index)
            if found is None or found.kind != "GSI":
                return 0.0
            return float(found.read_capacity if kind == "Read" else found.write_capacity)
        return float(table.read_capacity if kind == "Read" else table.write_capacity)

    def _bucket(self, table: TableDef, index: str, kind: str) -> tuple[Bucket, float] | None:
        rate = self._rate(table, index, kind)
        if rate <= 0:
            return None
        now = self.clock()
        key = (table.rowid, table.name, index, kind)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(tokens=rate, at=now)
        bucket.refill(rate, now)
        return bucket, rate

    def available(self, table: TableDef, index: str, kind: str) -> bool:
        found = self._bucket(table, index, kind)
        return found is None or found[0].tokens > 0

    def take(self, table: TableDef, index: str, kind: str, units: float) -> None:
        found = self._bucket(table, index, kind)
        if found is not None:
            found[0].tokens -= units

    # -- one request ----------------------------------------------------------------------
    def blocked(self, table: TableDef, kind: str, index: str) -> str | None:
        """The throttling message for a request on ``table`` (None: let it in)."""
        if kind == "Read":
            found = table.index(index) if index else None
            where = index if found is not None and found.kind == "GSI" else ""
            return None if self.available(table, where, "Read") else TABLE_MESSAGE
        if not self.available(table, "", "Write"):
            return TABLE_MESSAGE
        for gsi in table.gsis:
            if not self.available(table, gsi.name, "Write"):
                return INDEX_MESSAGE
        return None

    def consumed(self, ctx: Context, kind: str, rendered: dict[str, Any]) -> None:
        """Take what one table's ConsumedCapacity (rendered with INDEXES) says was used."""
        name = rendered.get("TableName")
        table = ctx.storage.tables.get(name) if isinstance(name, str) else None
        if table is None:
            return
        own = float(rendered.get("Table", {}).get("CapacityUnits", 0.0))
        # LSIs draw on the table's own capacity.
        own += sum(
            float(v.get("CapacityUnits", 0.0))
            for v in rendered.get("LocalSecondaryIndexes", {}).values()
        )
        self.take(table, "", kind, own)
        self._metric(f"Consumed{kind}CapacityUnits", dims(TableName=table.name), own)
        for index, used in rendered.get("GlobalSecondaryIndexes", {}).items():
            units = float(used.get("CapacityUnits", 0.0))
            self.take(table, index, kind, units)
            self._metric(
                f"Consumed{kind}CapacityUnits",
                dims(TableName=table.name, GlobalSecondaryIndexName=index),
                units,
            )

    def throttle_event(self, table: TableDef, kind: str, operation: str, index: str) -> None:
        where = (
            dims(TableName=table.name, GlobalSecondaryIndexName=index)
            if index
            else dims(TableName=table.name)
        )
        self._metric(f"{kind}ThrottleEvents", where, 1.0)
        self._metric("ThrottledRequests", dims(TableName=table.name, Operation=operation), 1.0)

    def _metric(self, name: str, where: Dimensions, value: float) -> None:
        if self.publish is not None:
            self.publish(NAMESPACE, name, (where,), value, "Count")


def _tables_of(operation: str, body: dict[str, Any]) -> list[str]:
    if operation in ("BatchGetItem", "BatchWriteItem"):
        items = body.get("RequestItems")
        return [k for k in items if isinstance(k, str)] if isinstance(items, dict) else []
    if operation in ("TransactGetItems", "TransactWriteItems"):
        names: list[str] = []
        for entry in body.get("TransactItems") or []:
            if isinstance(entry, dict):
                for part in entry.values():
                    if isinstance(part, dict) and isinstance(part.get("TableName"), str):
                        names.append(part["TableName"])
        return names
    name = body.get("TableName")
    return [name] if isinstance(name, str) else []


def _render(rendered: dict[str, Any], mode: str) -> dict[str, Any]:
    """An INDEXES rendering cut back to what the caller asked for."""
    if mode == "INDEXES":
        return rendered
    keep = ("TableName", "CapacityUnits", "ReadCapacityUnits", "WriteCapacityUnits")
    return {k: v for k, v in rendered.items() if k in keep}


def governed(operation: str, handler: Operation, throughput: Throughput) -> Operation:
    """``handler`` with provisioned throughput enforced and consumption published."""
    kind = "Read" if operation in READS else "Write"
    batch = operation in ("BatchGetItem", "BatchWriteItem")
    unprocessed_key = "UnprocessedKeys" if operation == "BatchGetItem" else "UnprocessedItems"

    def run(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
        mode = read_mode(body)  # an invalid value is refused before anything is consumed
        held: dict[str, Any] = {}
        message: str | None = None
        names = _tables_of(operation, body)
        index = body.get("IndexName") if isinstance(body.get("IndexName"), str) else ""
        for name in dict.fromkeys(names):
            table = ctx.storage.tables.get(name)
            if table is None:
                continue  # the operation answers ResourceNotFoundException itself
            why = throughput.blocked(table, kind, str(index))
            if why is None:
                continue
            gsi = str(index) if kind == "Read" and why == TABLE_MESSAGE and index else ""
            throughput.throttle_event(table, kind, operation, gsi)
            if not batch:
                raise throttled(why)
            message = why
            held[name] = body["RequestItems"][name]
        if held and len(held) == len(set(names)):
            raise throttled(message or TABLE_MESSAGE)
        ask = dict(body, ReturnConsumedCapacity="INDEXES")
        if held:
            ask["RequestItems"] = {k: v for k, v in body["RequestItems"].items() if k not in held}
        result = handler(ctx, ask)
        used = result.pop("ConsumedCapacity", None)
        listed = used if isinstance(used, list) else [used] if isinstance(used, dict) else []
        for rendered in listed:
            throughput.consumed(ctx, kind, rendered)
        if mode in ("TOTAL", "INDEXES") and used is not None:
            result["ConsumedCapacity"] = (
                [_render(r, mode) for r in used] if isinstance(used, list) else _render(used, mode)
            )
        if held:
            result.setdefault(unprocessed_key, {}).update(held)
        return result

    return run
