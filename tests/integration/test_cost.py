"""serverlite cost against a hand computation: a scripted load recorded in a real
metric store (as the invoker, gateway and DynamoDB record it), priced from
prices.json, with the free tier off and on, and projected to a month."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.cost.estimate import MONTH_S, FunctionConfig, Table, price, prices, usage
from serverlite.observe.metrics import MetricStore, dims

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
    assert "Kinesis" in result["notMeasured"]


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
