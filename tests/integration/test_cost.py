"""serverlite cost against a hand computation: a scripted load recorded in a real
metric store (as the invoker, gateway and DynamoDB record it), priced from
prices.json, with the free tier off and on, and projected to a month; and a served load
of S3, EventBridge, Kinesis and Step Functions calls whose counted units
(observe/billing.py) and `serverlite cost` are checked against a hand count."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from serverlite.cost.estimate import MONTH_S, FunctionConfig, Table, price, prices, usage
from serverlite.observe.billing import BILLING
from serverlite.observe.metrics import MetricStore, dims
from tests.integration.conftest import Server, aws_client, cli, start_server, wait_for

NOW = 1_800_003_600.0
HOUR = 3600.0


@pytest.fixture
def store(tmp_path: Path) -> MetricStore:
    store = MetricStore(tmp_path / "metrics.db", clock=lambda: NOW - 600)
    fn = (dims(FunctionName="Fn"),)
    for ms in (100.2, 200.0, 50.7):  # billed 101 + 200 + 51 = 352 ms
        store.record("AWS/Lambda", "Invocations", fn, 1.0, "Count")
        store.record("AWS/Lambda", "Duration", fn, ms, "Milliseconds")
    for _ in range(3):
        store.record("AWS/ApiGateway", "Count", (dims(ApiId="abc123"),), 1.0, "Count")
    store.record("AWS/ApiGateway", "Count", (dims(ApiName="Rest"),), 1.0, "Count")
    demand = (dims(TableName="OnDemand"),)
    store.record("AWS/DynamoDB", "ConsumedWriteCapacityUnits", demand, 10.0, "Count")
    store.record("AWS/DynamoDB", "ConsumedReadCapacityUnits", demand, 4.0, "Count")
    prov = (dims(TableName="Prov"),)
    store.record("AWS/DynamoDB", "ConsumedReadCapacityUnits", prov, 99.0, "Count")
    store.record("AWS/SQS", "NumberOfMessagesSent", (dims(QueueName="q"),), 2.0, "Count")
    store.record("AWS/SQS", "NumberOfMessagesReceived", (dims(QueueName="q"),), 2.0, "Count")
    store.flush()
    return store


def _lines(store: MetricStore) -> list:
    return usage(
        store,
        [FunctionConfig("Fn", 512, "arm64")],
        [Table("OnDemand", False), Table("Prov", True, 5, 2)],
        NOW - HOUR,
        NOW,
    )


def test_the_estimate_matches_a_hand_computation(store: MetricStore) -> None:
    result = price(_lines(store), HOUR, False, prices()).to_json()
    by = {(line["item"], line["price"]): line for line in result["lines"]}
    assert by[("Fn", "lambda_requests")]["quantity"] == 3
    assert by[("Fn", "lambda_gb_seconds_arm64")]["quantity"] == pytest.approx(0.352 * 0.5)
    assert by[("abc123", "apigateway_http_requests")]["quantity"] == 3
    assert by[("Rest", "apigateway_rest_requests")]["quantity"] == 1
    assert by[("q", "sqs_requests")]["quantity"] == 4
    assert by[("OnDemand", "dynamodb_write_request_units")]["quantity"] == 10
    assert ("Prov", "dynamodb_read_request_units") not in by  # paid by the hour instead
    assert by[("Prov", "dynamodb_rcu_hours")]["quantity"] == pytest.approx(5.0)
    assert by[("Prov", "dynamodb_wcu_hours")]["quantity"] == pytest.approx(2.0)
    hand = (
        3 * 0.20 / 1e6
        + 0.176 * 0.0000133334
        + 3 * 1.00 / 1e6
        + 1 * 3.50 / 1e6
        + 4 * 0.40 / 1e6
        + 10 * 0.625 / 1e6
        + 4 * 0.125 / 1e6
        + 5 * 0.00013
        + 2 * 0.00065
    )
    assert result["totalUsd"] == pytest.approx(hand, rel=1e-6)
    assert result["monthlyUsd"] == pytest.approx(hand * MONTH_S / HOUR, rel=1e-6)
    assert "Kinesis shard hours" in result["notMeasured"]


def test_the_free_tier_takes_its_allowance(store: MetricStore) -> None:
    result = price(_lines(store), HOUR, True, prices()).to_json()
    by = {(line["item"], line["price"]): line for line in result["lines"]}
    # Lambda's 1M requests and 400,000 GB-s a month cover this load entirely.
    assert by[("Fn", "lambda_requests")]["usd"] == 0
    assert by[("Fn", "lambda_gb_seconds_arm64")]["monthlyUsd"] == 0
    # 25 RCU of provisioned capacity a month are free (18,250 RCU-hours); 5 RCU x 720 h
    # = 3,600 are inside it; on-demand units have no free tier.
    assert by[("Prov", "dynamodb_rcu_hours")]["monthlyUsd"] == 0
    assert by[("OnDemand", "dynamodb_write_request_units")]["monthlyUsd"] == pytest.approx(
        10 * 720 * 0.625 / 1e6
    )


# -- the units serverlite counts where it serves them (observe/billing.py) ------------------

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Bucket:
    Type: AWS::S3::Bucket
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("cost")
    template = root / "template.yaml"
    template.write_text(TEMPLATE)
    server = start_server(template, root / "state")
    yield server
    server.stop()


def _billed(state_dir: Path, key: str) -> dict[str, float]:
    store = MetricStore(state_dir / "metrics.db", read_only=True)
    found: dict[str, float] = {}
    for series in store.series(BILLING, key):
        points = store.datapoints([series.id], time.time() - HOUR, time.time() + 60, 7200)
        found[dict(series.dimensions)["Resource"]] = sum(a.sum for a in points.values())
    return found


@pytest.mark.slow
def test_s3_eventbridge_kinesis_and_step_functions_units_are_counted_and_priced(
    served: Server,
) -> None:
    s3 = aws_client(served, "s3")
    s3.create_bucket(Bucket="billed")  # PUT class
    s3.put_object(Bucket="billed", Key="a", Body=b"x")  # PUT class
    s3.put_object(Bucket="billed", Key="b", Body=b"y")  # PUT class
    s3.list_objects_v2(Bucket="billed")  # LIST: PUT class
    s3.get_object(Bucket="billed", Key="a")  # GET
    s3.head_object(Bucket="billed", Key="b")  # other: GET class
    s3.delete_object(Bucket="billed", Key="a")  # DELETE: free
    events = aws_client(served, "events")
    events.create_event_bus(Name="orders")
    put = events.put_events(
        Entries=[
            {"Source": "app", "DetailType": "small", "Detail": "{}"},  # 1 chunk
            {  # 100 KB of Detail: 2 chunks of 64 KB
                "Source": "app",
                "DetailType": "big",
                "Detail": json.dumps({"pad": "x" * (100 * 1024)}),
                "EventBusName": "orders",
            },
            {"Source": "app", "DetailType": "lost", "Detail": "{}", "EventBusName": "none"},
        ]
    )
    assert put["FailedEntryCount"] == 1  # a failed entry is not billed
    kinesis = aws_client(served, "kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    wait_for(
        lambda: (
            kinesis.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"][
                "StreamStatus"
            ]
            == "ACTIVE"
        )
    )
    kinesis.put_record(StreamName="clicks", Data=b"x" * 5 * 1024, PartitionKey="k")  # 1
    kinesis.put_records(
        StreamName="clicks",
        Records=[
            {"Data": b"x" * 45 * 1024, "PartitionKey": "k"},  # 2 units of 25 KB
            {"Data": b"x" * 25 * 1024, "PartitionKey": "k"},  # exactly 1
        ],
    )
    sfn = aws_client(served, "stepfunctions")
    sfn.meta.config.inject_host_prefix = False
    definition = {
        "StartAt": "One",
        "States": {
            "One": {"Type": "Pass", "Next": "Two"},
            "Two": {"Type": "Pass", "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    role = "arn:aws:iam::123456789012:role/sfn"
    standard = sfn.create_state_machine(
        name="standard", definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    express = sfn.create_state_machine(
        name="express", definition=json.dumps(definition), roleArn=role, type="EXPRESS"
    )["stateMachineArn"]
    for _ in range(2):  # 3 states entered each: 6 transitions
        arn = sfn.start_execution(stateMachineArn=standard)["executionArn"]
        wait_for(lambda arn=arn: sfn.describe_execution(executionArn=arn)["status"] != "RUNNING")
    assert sfn.start_sync_execution(stateMachineArn=express)["status"] == "SUCCEEDED"

    state = served.state_dir
    expected = {
        "s3_put_requests": {"billed": 4},
        "s3_get_requests": {"billed": 2},
        "eventbridge_events": {"default": 1, "orders": 2},
        "kinesis_put_payload_units": {"clicks": 4},
        "stepfunctions_state_transitions": {standard: 6},  # Express: not counted
    }
    for key, counts in expected.items():
        wait_for(
            lambda key=key, counts=counts: _billed(state, key) == counts,
            why=lambda key=key: f"{key}: {_billed(state, key)}",
        )
    # serverlite's own counts stay out of ListMetrics (its answers are AWS's).
    listed = aws_client(served, "cloudwatch").list_metrics()["Metrics"]
    assert all(m["Namespace"] != BILLING for m in listed)

    result = cli(
        "cost",
        "--state-dir",
        str(state),
        "--template",
        str(state.parent / "template.yaml"),
        "--since",
        "1h",
        "--no-free-tier",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    estimate = json.loads(result.stdout)
    by = {(line["item"], line["price"]): line for line in estimate["lines"]}
    assert by[("billed", "s3_put_requests")]["quantity"] == 4
    assert by[(standard, "stepfunctions_state_transitions")]["service"] == "Step Functions"
    hand = (
        4 * 0.005 / 1000 + 2 * 0.0004 / 1000 + 3 * 1.00 / 1e6 + 4 * 0.014 / 1e6 + 6 * 0.025 / 1000
    )
    assert estimate["totalUsd"] == pytest.approx(hand, rel=1e-6)
    assert "S3" not in estimate["notMeasured"]
