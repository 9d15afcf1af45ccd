"""Kinesis Data Streams over the wire with boto3: streams, shards, records, iterators,
retention and tags, with AWS's shapes and errors."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Endpoint

pytestmark = pytest.mark.integration

_names = itertools.count()
MAX_HASH = 2**128 - 1


def new_stream(kinesis: Any, **options: Any) -> str:
    name = f"stream-{next(_names)}"
    if "StreamModeDetails" not in options:
        options.setdefault("ShardCount", 1)
    kinesis.create_stream(StreamName=name, **options)
    return name


def code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def test_shards_split_the_hash_space_and_keys_land_by_md5(kinesis: Any) -> None:
    name = new_stream(kinesis, ShardCount=3)
    description = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert description["StreamStatus"] == "ACTIVE"
    assert description["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert description["RetentionPeriodHours"] == 24
    assert description["StreamARN"] == f"arn:aws:kinesis:us-east-1:123456789012:stream/{name}"
    shards = description["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-00000000000{i}" for i in range(3)]
    ranges = [
        (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
        for s in shards
    ]
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(2))
    for key in ("alice", "bob", "carol", "dave"):
        put = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey=key)
        hashed = int(hashlib.md5(key.encode()).hexdigest(), 16)
        owner = next(
            s["ShardId"] for s, (lo, hi) in zip(shards, ranges, strict=True) if lo <= hashed <= hi
        )
        assert put["ShardId"] == owner
    explicit = kinesis.put_record(
        StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey=str(MAX_HASH)
    )
    assert explicit["ShardId"] == "shardId-000000000002"
    with pytest.raises(ClientError) as bad:
        kinesis.put_record(
            StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey=str(2**128)
        )
    assert code(bad) == "InvalidArgumentException"
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 3
    assert len(kinesis.list_shards(StreamName=name)["Shards"]) == 3
    page = kinesis.list_shards(StreamName=name, MaxResults=2)
    rest = kinesis.list_shards(NextToken=page["NextToken"])
    assert [s["ShardId"] for s in page["Shards"] + rest["Shards"]] == [s["ShardId"] for s in shards]


def test_on_demand_streams_start_with_four_shards(kinesis: Any) -> None:
    name = new_stream(kinesis, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    description = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert description["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert len(description["Shards"]) == 4


def read(
    kinesis: Any, name: str, shard: str, kind: str, limit: int = 10000, **extra: Any
) -> dict[str, Any]:
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId=shard, ShardIteratorType=kind, **extra
    )["ShardIterator"]
    return dict(kinesis.get_records(ShardIterator=iterator, Limit=limit))


def test_records_keep_their_order_and_every_iterator_type(endpoint: Endpoint, kinesis: Any) -> None:
    name = new_stream(kinesis)
    shard = "shardId-000000000000"
    sequences = []
    for i in range(5):
        put = kinesis.put_record(StreamName=name, Data=f"r{i}".encode(), PartitionKey=f"p{i}")
        sequences.append(put["SequenceNumber"])
    assert [int(s) for s in sequences] == sorted(int(s) for s in sequences)
    assert len(set(sequences)) == 5 and all(len(s) == 56 for s in sequences)
    everything = read(kinesis, name, shard, "TRIM_HORIZON")
    assert [r["Data"] for r in everything["Records"]] == [f"r{i}".encode() for i in range(5)]
    assert everything["Records"][0]["PartitionKey"] == "p0"
    assert everything["MillisBehindLatest"] == 0
    assert "ApproximateArrivalTimestamp" in everything["Records"][0]
    at = read(kinesis, name, shard, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=sequences[2])
    assert [r["SequenceNumber"] for r in at["Records"]] == sequences[2:]
    after = read(kinesis, name, shard, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=sequences[2])
    assert [r["SequenceNumber"] for r in after["Records"]] == sequences[3:]
    latest = read(kinesis, name, shard, "LATEST")
    assert latest["Records"] == []
    kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="p")
    assert [
        r["Data"] for r in kinesis.get_records(ShardIterator=latest["NextShardIterator"])["Records"]
    ] == [b"new"]
    endpoint.clock.offset += 60
    kinesis.put_record(StreamName=name, Data=b"later", PartitionKey="p")
    since = read(kinesis, name, shard, "AT_TIMESTAMP", Timestamp=endpoint.clock() - 30)
    assert [r["Data"] for r in since["Records"]] == [b"later"]
    limited = read(kinesis, name, shard, "TRIM_HORIZON", limit=2)
    assert len(limited["Records"]) == 2
    assert limited["MillisBehindLatest"] > 0  # more records wait behind this page
    nxt = kinesis.get_records(ShardIterator=limited["NextShardIterator"], Limit=2)
    assert nxt["Records"][0]["SequenceNumber"] == sequences[2]


def test_put_records_answers_per_entry(kinesis: Any) -> None:
    name = new_stream(kinesis, ShardCount=2)
    answer = kinesis.put_records(
        StreamName=name,
        Records=[{"Data": f"{i}".encode(), "PartitionKey": f"key{i}"} for i in range(20)],
    )
    assert answer["FailedRecordCount"] == 0
    assert len(answer["Records"]) == 20
    assert {r["ShardId"] for r in answer["Records"]} == {
        "shardId-000000000000",
        "shardId-000000000001",
    }
    with pytest.raises(ClientError) as too_many:
        kinesis.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert code(too_many) == "ValidationException"


def test_iterators_expire_after_five_minutes_and_retention_trims(
    endpoint: Endpoint, kinesis: Any
) -> None:
    name = new_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    endpoint.clock.offset += 301
    with pytest.raises(ClientError) as expired:
        kinesis.get_records(ShardIterator=iterator)
    assert code(expired) == "ExpiredIteratorException"
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    with pytest.raises(ClientError) as shorter:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=30)
    assert code(shorter) == "InvalidArgumentException"
    with pytest.raises(ClientError) as too_short:
        kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=12)
    assert code(too_short) == "InvalidArgumentException"
    endpoint.clock.offset += 25 * 3600
    endpoint.backend.clock_moved()
    assert [
        r["Data"] for r in read(kinesis, name, "shardId-000000000000", "TRIM_HORIZON")["Records"]
    ] == [b"old"]
    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert read(kinesis, name, "shardId-000000000000", "TRIM_HORIZON")["Records"] == []


def test_streams_list_tag_and_delete(kinesis: Any) -> None:
    name = new_stream(kinesis, Tags={"team": "orders"})
    with pytest.raises(ClientError) as exists:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    assert code(exists) == "ResourceInUseException"
    listed = kinesis.list_streams()
    assert name in listed["StreamNames"]
    assert any(s["StreamName"] == name for s in listed["StreamSummaries"])
    kinesis.add_tags_to_stream(StreamName=name, Tags={"env": "dev"})
    tags = kinesis.list_tags_for_stream(StreamName=name)
    assert tags["Tags"] == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "orders"}]
    assert tags["HasMoreTags"] is False
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    assert kinesis.describe_stream(StreamARN=arn)["StreamDescription"]["StreamName"] == name
    kinesis.delete_stream(StreamName=name)
    with pytest.raises(ClientError) as gone:
        kinesis.describe_stream(StreamName=name)
    assert code(gone) == "ResourceNotFoundException"
    assert "not found" in gone.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing:
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    assert code(missing) == "ResourceNotFoundException"
