"""Provisioned throughput: token buckets refilled at RCU/WCU per second of the clock,
300 seconds of burst credit, ProvisionedThroughputExceededException with AWS's words,
GSI back-pressure on writes, batches answering throttled tables as unprocessed, and
the AWS/DynamoDB metrics."""

from types import SimpleNamespace
from typing import Any

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.dynamodb.schema import IndexDef, TableDef
from serverlite.aws.dynamodb.throughput import (
    INDEX_MESSAGE,
    TABLE_MESSAGE,
    Throughput,
    governed,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _table(name: str = "T", rcu: int = 1, wcu: int = 1, gsi_wcu: int = 0) -> TableDef:
    gsis = (
        (IndexDef("G", "GSI", "g", None, read_capacity=1, write_capacity=gsi_wcu),)
        if gsi_wcu
        else ()
    )
    return TableDef(
        name=name,
        table_id="id",
        arn=f"arn:{name}",
        created=0.0,
        hash_key="k",
        range_key=None,
        attributes={"k": "S"},
        gsis=gsis,
        billing_mode="PROVISIONED",
        read_capacity=rcu,
        write_capacity=wcu,
        rowid=1,
    )


def _setup(*tables: TableDef):
    clock = Clock()
    published: list[tuple[str, str, Any, float]] = []
    throughput = Throughput(clock, lambda ns, n, d, v, u: published.append((ns, n, d, v)))
    ctx = SimpleNamespace(storage=SimpleNamespace(tables={t.name: t for t in tables}))
    return clock, throughput, ctx, published


def _reader(units: float):
    def handler(ctx, body):
        assert body["ReturnConsumedCapacity"] == "INDEXES"  # the wrapper always measures
        return {
            "Item": {},
            "ConsumedCapacity": {
                "TableName": body["TableName"],
                "CapacityUnits": units,
                "ReadCapacityUnits": units,
                "Table": {"CapacityUnits": units, "ReadCapacityUnits": units},
            },
        }

    return handler


def test_reads_drain_the_bucket_then_throttle_with_awss_message_and_refill_per_second():
    clock, throughput, ctx, published = _setup(_table(rcu=1))
    get = governed("GetItem", _reader(0.5), throughput)
    get(ctx, {"TableName": "T"})  # one second of capacity to start: two eventual reads
    get(ctx, {"TableName": "T"})
    with pytest.raises(AwsError) as raised:
        get(ctx, {"TableName": "T"})
    assert raised.value.code == "ProvisionedThroughputExceededException"
    assert raised.value.message == TABLE_MESSAGE
    clock.now += 1.0  # one RCU more
    assert "ConsumedCapacity" not in get(ctx, {"TableName": "T"})  # NONE asked: none shown
    names = [(n, dict(d[0])) for _, n, d, _ in published]
    assert ("ReadThrottleEvents", {"TableName": "T"}) in names
    assert ("ThrottledRequests", {"TableName": "T", "Operation": "GetItem"}) in names
    consumed = sum(v for _, n, _, v in published if n == "ConsumedReadCapacityUnits")
    assert consumed == 1.5


def test_burst_credit_is_capped_at_300_seconds_of_unused_capacity():
    clock, throughput, ctx, _ = _setup(_table(rcu=2))
    get = governed("GetItem", _reader(1.0), throughput)
    get(ctx, {"TableName": "T"})
    clock.now += 10_000  # far more than five minutes idle
    done = 0
    with pytest.raises(AwsError):
        for _ in range(10_000):
            get(ctx, {"TableName": "T"})
            done += 1
    # 2 RCU x 300 s = 600 units banked; one more request is let in at exactly 0 -> no.
    assert done == 600


def test_a_large_read_is_let_in_and_paid_off_by_the_following_seconds():
    clock, throughput, ctx, _ = _setup(_table(rcu=1))
    query = governed("Query", _reader(5.0), throughput)
    query(ctx, {"TableName": "T"})  # the bucket had 1: now -4
    clock.now += 4.0
    with pytest.raises(AwsError):
        query(ctx, {"TableName": "T"})  # back to 0: still nothing to spend
    clock.now += 0.5
    query(ctx, {"TableName": "T"})


def test_consumed_capacity_is_cut_back_to_total_when_total_asked():
    _, throughput, ctx, _ = _setup(_table(rcu=10))
    got = governed("GetItem", _reader(0.5), throughput)(
        ctx, {"TableName": "T", "ReturnConsumedCapacity": "TOTAL"}
    )
    assert got["ConsumedCapacity"] == {
        "TableName": "T",
        "CapacityUnits": 0.5,
        "ReadCapacityUnits": 0.5,
    }


def test_a_full_gsi_throttles_writes_to_its_table_with_the_index_message():
    _, throughput, ctx, published = _setup(_table(wcu=100, gsi_wcu=1))

    def put(ctx, body):
        return {
            "ConsumedCapacity": {
                "TableName": "T",
                "CapacityUnits": 3.0,
                "WriteCapacityUnits": 3.0,
                "Table": {"CapacityUnits": 1.0},
                "GlobalSecondaryIndexes": {"G": {"CapacityUnits": 2.0}},
            }
        }

    write = governed("PutItem", put, throughput)
    write(ctx, {"TableName": "T"})  # the GSI had 1 WCU: now -1
    with pytest.raises(AwsError) as raised:
        write(ctx, {"TableName": "T"})
    assert raised.value.message == INDEX_MESSAGE
    assert (
        "AWS/DynamoDB",
        "ConsumedWriteCapacityUnits",
        ((("GlobalSecondaryIndexName", "G"), ("TableName", "T")),),
        2.0,
    ) in published


def test_a_batch_returns_a_throttled_tables_requests_unprocessed_and_fails_only_when_all_are():
    _, throughput, ctx, _ = _setup(_table("A", wcu=1), _table("B", wcu=50))
    seen: list[list[str]] = []

    def batch(ctx, body):
        seen.append(sorted(body["RequestItems"]))
        return {
            "UnprocessedItems": {},
            "ConsumedCapacity": [
                {"TableName": n, "CapacityUnits": 2.0, "Table": {"CapacityUnits": 2.0}}
                for n in body["RequestItems"]
            ],
        }

    write = governed("BatchWriteItem", batch, throughput)
    items = {"A": [{"PutRequest": {}}], "B": [{"PutRequest": {}}]}
    write(ctx, {"RequestItems": items})  # A: 1 - 2 = -1
    got = write(ctx, {"RequestItems": items})
    assert seen[-1] == ["B"] and got["UnprocessedItems"] == {"A": items["A"]}
    with pytest.raises(AwsError, match="provisioned throughput"):
        write(ctx, {"RequestItems": {"A": items["A"]}})
    assert len(seen) == 2


def test_on_demand_tables_are_never_throttled():
    table = TableDef(
        name="T",
        table_id="id",
        arn="a",
        created=0.0,
        hash_key="k",
        range_key=None,
        attributes={"k": "S"},
        billing_mode="PAY_PER_REQUEST",
    )
    _, throughput, ctx, _ = _setup(table)
    get = governed("GetItem", _reader(100.0), throughput)
    for _ in range(50):
        get(ctx, {"TableName": "T"})
