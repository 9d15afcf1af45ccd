"""The seeds' alarm (issue 18 part 4): reads of the locations table past its
provisioned capacity are throttled, ReadThrottleEvents reaches AWS/DynamoDB, the
template's alarm goes to ALARM and notifies its SNS topic with AWS's message (an SQS
queue subscribed to the topic receives it), with the state change in its history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import Server, aws_client, start_server, wait_for

TEMPLATE = Path(__file__).parents[2] / "services" / "locations" / "template.yaml"
ALARM = "LocationsReadThrottleAlarm"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    state = tmp_path_factory.mktemp("locations-alarm") / "state"
    server = start_server(TEMPLATE, state, "--port", "0", "--time-scale", "60")
    try:
        yield server
    finally:
        server.stop()


def test_throttled_reads_fire_the_alarm_and_notify_the_topic(server: Server) -> None:
    ddb, sns, sqs, cloudwatch = (
        aws_client(server, s) for s in ("dynamodb", "sns", "sqs", "cloudwatch")
    )
    table = ddb.list_tables()["TableNames"][0]
    alarm = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    assert alarm["MetricName"] == "ReadThrottleEvents"
    assert alarm["Dimensions"] == [{"Name": "TableName", "Value": table}]
    topic = alarm["AlarmActions"][0]
    queue = sqs.create_queue(QueueName="alarm-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "false"}
    )
    ddb.put_item(TableName=table, Item={"userId": {"S": "u1"}, "pad": {"S": "x" * 4000}})

    throttled = 0
    for _ in range(200):  # 5 RCU, 1 RCU a strongly consistent read: spent at once
        try:
            ddb.get_item(TableName=table, Key={"userId": {"S": "u1"}}, ConsistentRead=True)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            throttled += 1
            if throttled >= 3:
                break
    assert throttled >= 3

    def alarm_message() -> dict[str, Any] | None:
        for message in sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            envelope = json.loads(message["Body"])
            body = json.loads(envelope["Message"])
            if body["NewStateValue"] == "ALARM":
                return {"envelope": envelope, "body": body}
        return None

    got = wait_for(alarm_message, timeout=30, every=0.1, why=server.output)
    body, envelope = got["body"], got["envelope"]
    assert envelope["Subject"] == f'ALARM: "{ALARM}" in US East (N. Virginia)'
    assert body["AlarmName"] == ALARM
    assert body["AWSAccountId"] == alarm["AlarmArn"].split(":")[4]
    assert body["AlarmArn"] == alarm["AlarmArn"]
    assert body["Region"] == "US East (N. Virginia)"
    assert body["NewStateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints [")
    assert body["Trigger"]["MetricName"] == "ReadThrottleEvents"
    assert body["Trigger"]["Namespace"] == "AWS/DynamoDB"
    assert body["Trigger"]["Statistic"] == "SUM"
    assert body["Trigger"]["Dimensions"] == [{"value": table, "name": "TableName"}]
    assert body["Trigger"]["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"

    now = cloudwatch.describe_alarms(AlarmNames=[ALARM])["MetricAlarms"][0]
    assert now["StateValue"] == "ALARM"
    reason = json.loads(now["StateReasonData"])
    assert reason["recentDatapoints"][0] >= throttled
    assert reason["threshold"] == 1.0
    history = cloudwatch.describe_alarm_history(AlarmName=ALARM, HistoryItemType="StateUpdate")
    summaries = [h["HistorySummary"] for h in history["AlarmHistoryItems"]]
    assert any(s.endswith("to ALARM") for s in summaries), summaries
