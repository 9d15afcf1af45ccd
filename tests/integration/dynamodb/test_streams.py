"""DynamoDB Streams over the wire: boto3's ``dynamodbstreams`` client reads the records
every kind of write makes, in order, with AWS's record shape, iterators and errors."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Endpoint, FakeClock, client, serve_dynamodb

pytestmark = pytest.mark.integration

_names = itertools.count()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    with serve_dynamodb(tmp_path_factory.mktemp("streams"), FakeClock()) as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def ddb(served: Endpoint) -> Any:
    return client(served.url)


@pytest.fixture(scope="module")
def streams(served: Endpoint) -> Any:
    return client(served.url, "dynamodbstreams")


def make_table(ddb: Any, view: str = "NEW_AND_OLD_IMAGES", **extra: Any) -> tuple[str, str]:
    name = f"streamed{next(_names)}"
    described = ddb.create_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
        **extra,
    )["TableDescription"]
    return name, described["LatestStreamArn"]


def read_all(streams: Any, arn: str, kind: str = "TRIM_HORIZON") -> list[dict[str, Any]]:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=kind)[
        "ShardIterator"
    ]
    records: list[dict[str, Any]] = []
    for _ in range(100):
        page = streams.get_records(ShardIterator=iterator, Limit=3)
        records += page["Records"]
        iterator = page.get("NextShardIterator")
        if not page["Records"] or iterator is None:
            break
    return records


def test_every_write_kind_makes_its_record_in_order(ddb: Any, streams: Any) -> None:
    name, arn = make_table(ddb)
    ddb.put_item(TableName=name, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    ddb.update_item(
        TableName=name,
        Key={"id": {"S": "a"}},
        UpdateExpression="SET n = :two",
        ExpressionAttributeValues={":two": {"N": "2"}},
    )
    # A write that changes nothing makes no record, as AWS documents.
    ddb.put_item(TableName=name, Item={"id": {"S": "a"}, "n": {"N": "2"}})
    ddb.batch_write_item(
        RequestItems={
            name: [
                {"PutRequest": {"Item": {"id": {"S": "b"}}}},
                {"DeleteRequest": {"Key": {"id": {"S": "a"}}}},
            ]
        }
    )
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": {"id": {"S": "c"}}}},
            {"Delete": {"TableName": name, "Key": {"id": {"S": "b"}}}},
        ]
    )
    ddb.delete_item(TableName=name, Key={"id": {"S": "missing"}})  # deletes nothing: no record
    records = read_all(streams, arn)
    assert [(r["eventName"], r["dynamodb"]["Keys"]["id"]["S"]) for r in records] == [
        ("INSERT", "a"),
        ("MODIFY", "a"),
        ("INSERT", "b"),
        ("REMOVE", "a"),
        ("INSERT", "c"),
        ("REMOVE", "b"),
    ]
    first, modify = records[0], records[1]
    assert first["eventSource"] == "aws:dynamodb"
    assert first["eventVersion"] == "1.1"
    assert first["awsRegion"] == "us-east-1"
    assert len(first["eventID"]) == 32
    assert first["dynamodb"]["NewImage"] == {"id": {"S": "a"}, "n": {"N": "1"}}
    assert "OldImage" not in first["dynamodb"]
    assert modify["dynamodb"]["OldImage"]["n"] == {"N": "1"}
    assert modify["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    assert modify["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert modify["dynamodb"]["SizeBytes"] > 0
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert all(len(r["dynamodb"]["SequenceNumber"]) >= 21 for r in records)


@pytest.mark.parametrize(
    ("view", "present"),
    [
        ("KEYS_ONLY", set()),
        ("NEW_IMAGE", {"NewImage"}),
        ("OLD_IMAGE", {"OldImage"}),
        ("NEW_AND_OLD_IMAGES", {"NewImage", "OldImage"}),
    ],
)
def test_the_view_type_decides_the_images(
    ddb: Any, streams: Any, view: str, present: set[str]
) -> None:
    name, arn = make_table(ddb, view)
    ddb.put_item(TableName=name, Item={"id": {"S": "k"}, "v": {"S": "1"}})
    ddb.put_item(TableName=name, Item={"id": {"S": "k"}, "v": {"S": "2"}})
    modify = read_all(streams, arn)[1]["dynamodb"]
    assert {"NewImage", "OldImage"} & set(modify) == present
    assert modify["Keys"] == {"id": {"S": "k"}}
    assert modify["StreamViewType"] == view


def test_describe_list_and_iterator_positions(ddb: Any, streams: Any) -> None:
    name, arn = make_table(ddb, "KEYS_ONLY")
    table = ddb.describe_table(TableName=name)["Table"]
    assert table["LatestStreamArn"] == arn
    assert arn == f"{table['TableArn']}/stream/{table['LatestStreamLabel']}"
    listed = streams.list_streams(TableName=name)["Streams"]
    assert listed == [
        {"StreamArn": arn, "TableName": name, "StreamLabel": table["LatestStreamLabel"]}
    ]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "ENABLED"
    assert description["StreamViewType"] == "KEYS_ONLY"
    assert description["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    shard = description["Shards"][0]
    assert "EndingSequenceNumber" not in shard["SequenceNumberRange"]
    for key in "xyz":
        ddb.put_item(TableName=name, Item={"id": {"S": key}})
    records = read_all(streams, arn)
    second = records[1]["dynamodb"]["SequenceNumber"]

    def keys_from(kind: str, **extra: Any) -> list[str]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType=kind, **extra
        )["ShardIterator"]
        page = streams.get_records(ShardIterator=iterator)
        return [r["dynamodb"]["Keys"]["id"]["S"] for r in page["Records"]]

    assert keys_from("AT_SEQUENCE_NUMBER", SequenceNumber=second) == ["y", "z"]
    assert keys_from("AFTER_SEQUENCE_NUMBER", SequenceNumber=second) == ["z"]
    latest = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
    )["ShardIterator"]
    assert streams.get_records(ShardIterator=latest)["Records"] == []
    ddb.put_item(TableName=name, Item={"id": {"S": "after"}})
    page = streams.get_records(ShardIterator=latest)
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in page["Records"]] == ["after"]
    # Disabling the stream closes its shard; the records stay readable.
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    closed = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert closed["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in closed["Shards"][0]["SequenceNumberRange"]
    assert "LatestStreamArn" not in ddb.describe_table(TableName=name)["Table"]
    assert len(read_all(streams, arn)) == 4


def test_errors_are_aws_shaped(ddb: Any, streams: Any) -> None:
    name, arn = make_table(ddb)
    with pytest.raises(ClientError) as missing:
        streams.describe_stream(StreamArn=arn.replace(name, "nosuchtable"))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as bad:
        streams.get_records(ShardIterator="not-an-iterator")
    assert bad.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as limit:
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        streams.get_records(ShardIterator=iterator, Limit=1001)
    assert limit.value.response["Error"]["Code"] == "ValidationException"


def test_iterators_expire_and_records_are_trimmed_after_24_hours(
    served: Endpoint, ddb: Any, streams: Any
) -> None:
    clock = served.clock
    assert isinstance(clock, FakeClock)
    name, arn = make_table(ddb)
    ddb.put_item(TableName=name, Item={"id": {"S": "old"}})
    old = read_all(streams, arn)[0]["dynamodb"]["SequenceNumber"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    clock.offset += 16 * 60  # iterators live 15 minutes
    with pytest.raises(ClientError) as expired:
        streams.get_records(ShardIterator=iterator)
    assert expired.value.response["Error"]["Code"] == "ExpiredIteratorException"
    stale = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    clock.offset += 24 * 3600
    ddb.put_item(TableName=name, Item={"id": {"S": "new"}})
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in read_all(streams, arn)] == ["new"]
    with pytest.raises(ClientError) as trimmed:
        streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER", SequenceNumber=old
        )
    assert trimmed.value.response["Error"]["Code"] == "TrimmedDataAccessException"
    del stale


def test_ttl_deletions_are_signed_by_the_service(served: Endpoint, ddb: Any, streams: Any) -> None:
    clock = served.clock
    assert isinstance(clock, FakeClock)
    name, arn = make_table(ddb, "OLD_IMAGE")
    ddb.update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    ddb.put_item(TableName=name, Item={"id": {"S": "t"}, "expires": {"N": str(int(clock()) + 5)}})
    ddb.put_item(TableName=name, Item={"id": {"S": "gone"}})
    ddb.delete_item(TableName=name, Key={"id": {"S": "gone"}})
    clock.offset += 10
    assert served.backend is not None
    served.backend.clock_moved()
    removes = [r for r in read_all(streams, arn) if r["eventName"] == "REMOVE"]
    assert [r["dynamodb"]["Keys"]["id"]["S"] for r in removes] == ["gone", "t"]
    assert "userIdentity" not in removes[0]
    assert removes[1]["userIdentity"] == {
        "PrincipalId": "dynamodb.amazonaws.com",
        "Type": "Service",
    }
