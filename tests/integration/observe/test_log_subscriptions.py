"""CloudWatch Logs subscription filters: SAM's CloudWatchLogs event and
AWS::Logs::SubscriptionFilter from a template, Put/Describe/DeleteSubscriptionFilter
with boto3 and the AWS CLI, delivery to Lambda as ``{"awslogs": {"data":
base64(gzip(json))}}`` and to a Kinesis stream, filter patterns applied."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serverlite.harness import AppHarness

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TEMPLATE = Path(__file__).resolve().parents[2] / "fixtures" / "log_subscriptions" / "template.yaml"
WAIT_S = 30.0


@pytest.fixture(scope="module")
def app() -> Iterator[AppHarness]:
    with AppHarness(TEMPLATE) as harness:
        yield harness


def _deliveries(app: AppHarness, function: str, count: int) -> list[dict[str, Any]]:
    """What ``function`` printed of the payloads it was invoked with (at least
    ``count`` of them), waiting for CloudWatch Logs' asynchronous delivery."""
    logs = app.aws("logs")
    group = f"/aws/lambda/{function}"
    deadline = time.monotonic() + WAIT_S
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        groups = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        if any(g["logGroupName"] == group for g in groups):
            events = logs.filter_log_events(logGroupName=group, filterPattern="DELIVERED")
            found = [json.loads(e["message"].split(" ", 1)[1]) for e in events["events"]]
            if len(found) >= count:
                return found
        time.sleep(0.2)
    raise AssertionError(f"{function} got {len(found)} deliveries, expected {count}")


def test_sam_cloudwatchlogs_event_delivers_matching_events_in_aws_shape(app: AppHarness) -> None:
    lam = app.aws("lambda")
    levels = ["INFO", "ERROR", "DEBUG", "ERROR"]
    lam.invoke(FunctionName="Talker", Payload=json.dumps({"levels": levels}))
    (delivered,) = _deliveries(app, "Collector", 1)
    assert delivered["keys"] == ["awslogs"]
    data = delivered["data"]
    assert list(data) == [
        "messageType",
        "owner",
        "logGroup",
        "logStream",
        "subscriptionFilters",
        "logEvents",
    ]
    assert data["messageType"] == "DATA_MESSAGE"
    assert data["owner"] == "123456789012"
    assert data["logGroup"] == "/aws/lambda/Talker"
    assert "[$LATEST]" in data["logStream"]
    assert data["subscriptionFilters"] == ["CollectorTalkerErrors"]
    # The filter pattern { $.level = "ERROR" } let only the two ERROR lines through.
    assert [json.loads(e["message"]) for e in data["logEvents"]] == [
        {"level": "ERROR", "n": 1},
        {"level": "ERROR", "n": 3},
    ]
    for event in data["logEvents"]:
        assert set(event) == {"id", "timestamp", "message"}
        assert event["id"].isdigit() and isinstance(event["timestamp"], int)
    # The ids are those FilterLogEvents gives the same events.
    logs = app.aws("logs")
    stored = logs.filter_log_events(logGroupName="/aws/lambda/Talker", filterPattern="ERROR")
    assert [e["eventId"] for e in stored["events"]] == [e["id"] for e in data["logEvents"]]

    filters = logs.describe_subscription_filters(logGroupName="/aws/lambda/Talker")
    (described,) = filters["subscriptionFilters"]
    assert described["filterName"] == "CollectorTalkerErrors"
    assert described["filterPattern"] == '{ $.level = "ERROR" }'
    assert described["destinationArn"].endswith(":function:Collector")
    assert described["distribution"] == "ByLogStream"


def test_template_subscription_filter_and_put_log_events(app: AppHarness) -> None:
    logs = app.aws("logs")
    logs.create_log_stream(logGroupName="/subscriptions/audit", logStreamName="ops")
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/subscriptions/audit",
        logStreamName="ops",
        logEvents=[{"timestamp": now, "message": "one"}, {"timestamp": now + 1, "message": "two"}],
    )
    (delivered,) = _deliveries(app, "Auditor", 1)
    data = delivered["data"]
    assert data["subscriptionFilters"] == ["audit-all"]
    assert (data["logGroup"], data["logStream"]) == ("/subscriptions/audit", "ops")
    assert [(e["timestamp"], e["message"]) for e in data["logEvents"]] == [
        (now, "one"),
        (now + 1, "two"),
    ]


def test_put_describe_delete_and_the_two_filter_quota(app: AppHarness) -> None:
    logs = app.aws("logs")
    logs.create_log_group(logGroupName="/quota")
    arn = app.aws("lambda").get_function(FunctionName="Auditor")["Configuration"]["FunctionArn"]
    for name in ("a", "b"):
        logs.put_subscription_filter(
            logGroupName="/quota", filterName=name, filterPattern="ERROR", destinationArn=arn
        )
    logs.put_subscription_filter(  # an update of an existing filter is no third one
        logGroupName="/quota", filterName="b", filterPattern="WARN", destinationArn=arn
    )
    with pytest.raises(logs.exceptions.LimitExceededException):
        logs.put_subscription_filter(
            logGroupName="/quota", filterName="c", filterPattern="", destinationArn=arn
        )
    described = logs.describe_subscription_filters(logGroupName="/quota")["subscriptionFilters"]
    assert [(f["filterName"], f["filterPattern"]) for f in described] == [
        ("a", "ERROR"),
        ("b", "WARN"),
    ]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_subscription_filter(
            logGroupName="/quota", filterName="a", filterPattern="{ $.x = }", destinationArn=arn
        )
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_subscription_filter(
            logGroupName="/quota",
            filterName="a",
            filterPattern="",
            destinationArn=arn.replace(":Auditor", ":Nobody"),
        )
    logs.delete_subscription_filter(logGroupName="/quota", filterName="a")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_subscription_filter(logGroupName="/quota", filterName="a")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_subscription_filter(
            logGroupName="/nope", filterName="a", filterPattern="", destinationArn=arn
        )
    logs.delete_log_group(logGroupName="/quota")


def _records(kinesis: Any, stream: str) -> list[dict[str, Any]]:
    shard = kinesis.list_shards(StreamName=stream)["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator)["Records"]
    return [json.loads(gzip.decompress(r["Data"])) | {"_key": r["PartitionKey"]} for r in records]


def test_kinesis_destination_gets_a_control_message_then_data(app: AppHarness) -> None:
    kinesis = app.aws("kinesis")
    kinesis.create_stream(StreamName="log-sink", ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName="log-sink")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    logs = app.aws("logs")
    logs.create_log_group(logGroupName="/to-kinesis")
    logs.create_log_stream(logGroupName="/to-kinesis", logStreamName="s")
    logs.put_subscription_filter(
        logGroupName="/to-kinesis",
        filterName="all-to-kinesis",
        filterPattern="?alpha ?gamma",
        destinationArn=arn,
        roleArn="arn:aws:iam::123456789012:role/CWLtoKinesisRole",
    )
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName="/to-kinesis",
        logStreamName="s",
        logEvents=[
            {"timestamp": now + i, "message": m} for i, m in enumerate(["alpha", "beta", "gamma"])
        ],
    )
    deadline = time.monotonic() + WAIT_S
    records = _records(kinesis, "log-sink")
    while len(records) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        records = _records(kinesis, "log-sink")
    control, data = records[:2]
    assert control["messageType"] == "CONTROL_MESSAGE"
    assert control["logEvents"][0]["message"] == (
        "CWL CONTROL MESSAGE: Checking health of destination Kinesis stream."
    )
    assert data["messageType"] == "DATA_MESSAGE"
    assert data["subscriptionFilters"] == ["all-to-kinesis"]
    assert [e["message"] for e in data["logEvents"]] == ["alpha", "gamma"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_subscription_filter(
            logGroupName="/to-kinesis",
            filterName="missing",
            filterPattern="",
            destinationArn=arn.replace("log-sink", "no-such-stream"),
        )


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_aws_cli_subscription_filters(app: AppHarness) -> None:
    env = os.environ | {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": app.region,
        "AWS_ENDPOINT_URL": app.endpoint_url,
        "AWS_PAGER": "",
    }

    def cli(*args: str) -> Any:
        done = subprocess.run(
            ["aws", "logs", *args, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout) if done.stdout.strip() else None

    found = cli("describe-subscription-filters", "--log-group-name", "/subscriptions/audit")
    assert [f["filterName"] for f in found["subscriptionFilters"]] == ["audit-all"]
