"""Kinesis and DynamoDB stream event source mappings under `serverlite up`: order per
partition key with a parallelization factor, bisection and the on-failure record,
partial batch failures, filters, tumbling windows, a DynamoDB change feed, LATEST."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import FIXTURES, Server, aws_client, start_with_markers, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEMPLATE = FIXTURES / "streams" / "template.yaml"


@pytest.fixture(scope="module")
def markers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stream-markers")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, markers: Path) -> Iterator[Server]:
    running = start_with_markers(tmp_path_factory, TEMPLATE, markers)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def kinesis(server: Server) -> Any:
    return aws_client(server, "kinesis")


def events(markers: Path, function: str) -> list[dict[str, Any]]:
    path = markers / f"{function}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def records(markers: Path, function: str) -> list[dict[str, Any]]:
    return [r for e in events(markers, function) for r in e["Records"]]


def data(record: dict[str, Any]) -> Any:
    return json.loads(base64.b64decode(record["kinesis"]["data"]))


def put(kinesis: Any, stream: str, key: str, value: Any) -> str:
    answer = kinesis.put_record(
        StreamName=stream, Data=json.dumps(value).encode(), PartitionKey=key
    )
    return str(answer["SequenceNumber"])


def test_order_is_kept_per_partition_key_across_parallel_batches(
    server: Server, kinesis: Any, markers: Path
) -> None:
    for i in range(60):
        put(kinesis, "orders", f"customer-{i % 6}", {"customer": i % 6, "n": i})
    got = wait_for(
        lambda: len(records(markers, "Ordered")) >= 60 and records(markers, "Ordered"), 30
    )
    assert sorted(data(r)["n"] for r in got) == list(range(60))
    for customer in range(6):
        mine = [data(r)["n"] for r in got if data(r)["customer"] == customer]
        assert mine == sorted(mine)
    first = got[0]
    assert first["eventSource"] == "aws:kinesis"
    assert first["eventName"] == "aws:kinesis:record"
    assert first["eventVersion"] == "1.0"
    assert first["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert (
        first["eventID"] == f"{first['eventID'].split(':')[0]}:{first['kinesis']['sequenceNumber']}"
    )
    assert first["eventSourceARN"] == "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
    assert first["invokeIdentityArn"].startswith("arn:aws:iam::123456789012:role/")
    assert all(len(e["Records"]) <= 10 for e in events(markers, "Ordered"))


def test_stream_invocations_publish_iterator_age(
    server: Server, kinesis: Any, markers: Path
) -> None:
    """Lambda's IteratorAge: for each batch, the age of its last record when the event
    is sent (Milliseconds, by FunctionName)."""
    before = len(events(markers, "Ordered"))
    put(kinesis, "orders", "aged", {"customer": "aged", "n": -1})
    wait_for(lambda: len(events(markers, "Ordered")) > before, 30)
    cloudwatch = aws_client(server, "cloudwatch")

    def points() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName="IteratorAge",
            Dimensions=[{"Name": "FunctionName", "Value": "Ordered"}],
            StartTime=time.time() - 3600,
            EndTime=time.time() + 60,
            Period=60,
            Statistics=["SampleCount", "Maximum"],
            Unit="Milliseconds",
        )["Datapoints"]
        return found

    got = wait_for(points, 10, every=0.2)
    assert sum(p["SampleCount"] for p in got) >= 1
    assert all(p["Maximum"] >= 0 and p["Unit"] == "Milliseconds" for p in got)


def test_streams_publish_aws_kinesis_metrics(server: Server, kinesis: Any) -> None:
    """AWS/Kinesis by StreamName: what was put and read, by clients and by Lambda's
    polling of a mapped stream."""
    kinesis.create_stream(StreamName="metered", ShardCount=1)
    kinesis.put_record(StreamName="metered", Data=b"hello", PartitionKey="k")
    kinesis.put_records(
        StreamName="metered",
        Records=[{"Data": b"abc", "PartitionKey": "k"}, {"Data": b"defg", "PartitionKey": "k"}],
    )
    shard = kinesis.list_shards(StreamName="metered")["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName="metered", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert len(kinesis.get_records(ShardIterator=iterator)["Records"]) == 3
    cloudwatch = aws_client(server, "cloudwatch")

    def total(stream: str, metric: str) -> float:
        points = cloudwatch.get_metric_statistics(
            Namespace="AWS/Kinesis",
            MetricName=metric,
            Dimensions=[{"Name": "StreamName", "Value": stream}],
            StartTime=time.time() - 3600,
            EndTime=time.time() + 60,
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return float(sum(p["Sum"] for p in points))

    wait_for(lambda: total("metered", "GetRecords.Records") == 3, 10, every=0.2)
    assert total("metered", "IncomingRecords") == 3
    assert total("metered", "IncomingBytes") == 12
    assert total("metered", "PutRecord.Success") == 1
    assert total("metered", "PutRecord.Bytes") == 5
    assert total("metered", "PutRecords.TotalRecords") == 2
    assert total("metered", "PutRecords.SuccessfulRecords") == 2
    assert total("metered", "GetRecords.Bytes") == 12
    # Lambda's event source mapping reads "orders": its GetRecords are counted too.
    assert total("orders", "GetRecords.Success") >= 1


def test_a_poison_record_is_bisected_out_and_described_to_the_on_failure_queue(
    server: Server, kinesis: Any, markers: Path
) -> None:
    sequences = [put(kinesis, "flaky", "k", {"n": i, "poison": i == 5}) for i in range(8)]
    sqs = aws_client(server, "sqs")
    url = sqs.get_queue_url(QueueName="stream-failures")["QueueUrl"]
    message = wait_for(
        lambda: sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages"), 30
    )
    failure = json.loads(message[0]["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert (
        failure["requestContext"]["functionArn"].endswith(":function:Bisector")
        or "Bisector" in failure["requestContext"]["functionArn"]
    )
    assert failure["responseContext"]["functionError"] == "Unhandled"
    assert failure["version"] == "1.0"
    info = failure["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequences[5]
    assert info["streamArn"].endswith(":stream/flaky")
    assert info["shardId"] == "shardId-000000000000"

    # Every other record is delivered in a batch that succeeds (6 and 7 after the poison
    # record is given up on).
    def delivered() -> set[int]:
        return {
            data(r)["n"]
            for e in events(markers, "Bisector")
            if not any(data(x).get("poison") for x in e["Records"])
            for r in e["Records"]
        }

    wait_for(lambda: delivered() == {0, 1, 2, 3, 4, 6, 7}, 30, why=lambda: str(delivered()))


def test_reported_item_failures_retry_from_the_failed_record(
    server: Server, kinesis: Any, markers: Path
) -> None:
    sequences = [put(kinesis, "partial", "k", {"n": i, "fail_once": i == 2}) for i in range(5)]
    wait_for(lambda: len(events(markers, "Reporter")) >= 2, 30)
    batches = [
        [r["kinesis"]["sequenceNumber"] for r in e["Records"]] for e in events(markers, "Reporter")
    ]
    assert batches[0] == sequences
    assert batches[1] == sequences[2:]  # checkpointed before the failed record


def test_filters_see_the_decoded_data(server: Server, kinesis: Any, markers: Path) -> None:
    put(kinesis, "filtered", "k", {"kind": "drop", "n": 1})
    put(kinesis, "filtered", "k", {"kind": "keep", "n": 2})
    kinesis.put_record(StreamName="filtered", Data=b"not json", PartitionKey="k")
    put(kinesis, "filtered", "k", {"kind": "keep", "n": 3})
    got = wait_for(lambda: len(records(markers, "Picky")) >= 2 and records(markers, "Picky"), 30)
    assert [data(r)["n"] for r in got] == [2, 3]


def test_tumbling_windows_carry_state_to_a_final_invoke(
    server: Server, kinesis: Any, markers: Path
) -> None:
    for n in (1, 2, 3):
        put(kinesis, "windowed", "k", {"n": n})
    final = wait_for(
        lambda: [e for e in events(markers, "Totals") if e["isFinalInvokeForWindow"]], 30
    )
    seen = events(markers, "Totals")
    total = sum(data(r)["n"] for e in seen for r in e["Records"])
    assert total == 6
    assert final[0]["Records"] == []
    assert final[0]["state"] == {
        "total": sum(
            data(r)["n"] for e in seen if e["window"] == final[0]["window"] for r in e["Records"]
        )
    }
    assert final[0]["shardId"] == "shardId-000000000000"
    assert final[0]["eventSourceARN"].endswith(":stream/windowed")
    assert set(final[0]["window"]) == {"start", "end"}


def test_dynamodb_changes_reach_the_function_in_order(server: Server, markers: Path) -> None:
    ddb = aws_client(server, "dynamodb")
    ddb.put_item(TableName="contacts", Item={"id": {"S": "a"}, "name": {"S": "Ann"}})
    ddb.update_item(
        TableName="contacts",
        Key={"id": {"S": "a"}},
        UpdateExpression="SET #n = :n",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":n": {"S": "Anne"}},
    )
    ddb.delete_item(TableName="contacts", Key={"id": {"S": "a"}})
    got = wait_for(
        lambda: len(records(markers, "Changes")) >= 3 and records(markers, "Changes"), 30
    )
    assert [r["eventName"] for r in got] == ["INSERT", "MODIFY", "REMOVE"]
    modify = got[1]
    assert modify["eventSource"] == "aws:dynamodb"
    assert modify["eventSourceARN"].endswith("table/contacts/stream/1970-01-01T00:00:00.000")
    assert modify["dynamodb"]["OldImage"]["name"] == {"S": "Ann"}
    assert modify["dynamodb"]["NewImage"]["name"] == {"S": "Anne"}


def test_an_event_source_mapping_resource_starts_at_latest(
    server: Server, kinesis: Any, markers: Path
) -> None:
    put(kinesis, "mapped", "k", {"n": 1})
    got = wait_for(lambda: records(markers, "Latest"), 30)
    assert [data(r)["n"] for r in got] == [1]


def test_the_lambda_api_creates_updates_and_deletes_stream_mappings(
    server: Server, kinesis: Any, markers: Path
) -> None:
    from botocore.exceptions import ClientError

    lam = aws_client(server, "lambda")
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/apistream"
    put(kinesis, "apistream", "k", {"n": 1})
    made = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="ApiTarget", StartingPosition="TRIM_HORIZON", BatchSize=7
    )
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert (made["State"], made["BatchSize"], made["EventSourceArn"]) == ("Creating", 7, arn)
    assert made["FunctionArn"].endswith(":function:ApiTarget")
    got = wait_for(lambda: records(markers, "ApiTarget"), 30)
    assert [data(r)["n"] for r in got] == [1]
    assert lam.get_event_source_mapping(UUID=made["UUID"])["State"] == "Enabled"
    listed = lam.list_event_source_mappings(FunctionName="ApiTarget")["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [made["UUID"]]
    everything = lam.list_event_source_mappings()["EventSourceMappings"]
    assert len(everything) >= 8  # the template's too
    with pytest.raises(ClientError) as conflict:
        lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="ApiTarget", StartingPosition="LATEST"
        )
    assert conflict.value.response["Error"]["Code"] == "ResourceConflictException"
    updated = lam.update_event_source_mapping(UUID=made["UUID"], BatchSize=3, Enabled=False)
    assert (updated["State"], updated["BatchSize"]) == ("Updating", 3)
    assert lam.get_event_source_mapping(UUID=made["UUID"])["State"] == "Disabled"
    with pytest.raises(ClientError) as bad:
        lam.update_event_source_mapping(UUID=made["UUID"], ParallelizationFactor=11)
    assert bad.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert lam.delete_event_source_mapping(UUID=made["UUID"])["State"] == "Deleting"
    with pytest.raises(ClientError) as gone:
        lam.get_event_source_mapping(UUID=made["UUID"])
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as sqs:
        lam.create_event_source_mapping(
            EventSourceArn="arn:aws:sqs:us-east-1:123456789012:stream-failures",
            FunctionName="ApiTarget",
        )
    assert sqs.value.response["Error"]["Code"] == "InvalidParameterValueException"
