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


def test_metric_math_and_composite_alarms_over_the_wire_put_state_change_events(
    server: Server,
) -> None:
    cloudwatch, events, sqs = (aws_client(server, s) for s in ("cloudwatch", "events", "sqs"))
    queue = sqs.create_queue(QueueName="alarm-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="alarms", EventPattern=json.dumps({"source": ["aws.cloudwatch"]}))
    events.put_targets(Rule="alarms", Targets=[{"Id": "q", "Arn": arn}])
    cloudwatch.put_metric_data(
        Namespace="Shop", MetricData=[{"MetricName": "Orders", "Value": 7.0, "Unit": "Count"}]
    )
    cloudwatch.put_metric_alarm(
        AlarmName="many-orders",
        Metrics=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {"Namespace": "Shop", "MetricName": "Orders"},
                    "Period": 60,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            },
            {"Id": "doubled", "Expression": "m * 2", "ReturnData": True},
        ],
        EvaluationPeriods=1,
        Threshold=10.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    cloudwatch.put_composite_alarm(
        AlarmName="both",
        AlarmRule=f'ALARM("many-orders") AND ALARM({ALARM})',
    )

    def states() -> dict[str, str] | None:
        found = cloudwatch.describe_alarms(
            AlarmNames=["many-orders", "both"], AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        got = {a["AlarmName"]: a["StateValue"] for a in found["MetricAlarms"]}
        got.update({a["AlarmName"]: a["StateValue"] for a in found["CompositeAlarms"]})
        return got if got.get("both") == "ALARM" else None

    wait_for(states, timeout=30, every=0.2, why=server.output)  # 7 x 2 = 14 > 10, and throttled

    def change_event() -> dict[str, Any] | None:
        for message in sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            event = json.loads(message["Body"])
            if event["detail"]["alarmName"] == "many-orders":
                return dict(event)
        return None

    event = wait_for(change_event, timeout=30, every=0.1, why=server.output)
    assert event["source"] == "aws.cloudwatch"
    assert event["detail-type"] == "CloudWatch Alarm State Change"
    assert event["detail"]["state"]["value"] == "ALARM"
    assert event["resources"] == [
        cloudwatch.describe_alarms(AlarmNames=["many-orders"])["MetricAlarms"][0]["AlarmArn"]
    ]
    cloudwatch.set_alarm_state(AlarmName="many-orders", StateValue="OK", StateReason="by hand")
    # (the next evaluation may set it back: the history keeps the change)
    history = cloudwatch.describe_alarm_history(
        AlarmName="many-orders", HistoryItemType="StateUpdate"
    )["AlarmHistoryItems"]
    assert any(
        json.loads(h["HistoryData"])["newState"]["stateReason"] == "by hand" for h in history
    )
    cloudwatch.delete_alarms(AlarmNames=["many-orders", "both"])
    assert cloudwatch.describe_alarms(AlarmNames=["many-orders"])["MetricAlarms"] == []
