"""A test's reset (``AppHarness.reset``, the pytest plugin's ``serverlite`` fixture) returns
every service to what the template provisioned: what a test wrote, created or changed in
SSM, Secrets Manager, SNS, EventBridge, CloudWatch, Logs, S3, Kinesis, SQS, DynamoDB is
gone, and the template's resources are as declared."""

from __future__ import annotations

import json
import time

import pytest

from serverlite.harness import AppHarness

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.serverlite("../fixtures/reset_app/template.yaml"),
]


@pytest.fixture
def app(serverlite: AppHarness) -> AppHarness:
    return serverlite  # reset by the plugin before each test; the test resets again


def _write_everywhere(app: AppHarness) -> None:
    ssm = app.aws("ssm")
    ssm.put_parameter(Name="/reset/settings", Value="changed", Overwrite=True)
    ssm.put_parameter(Name="/reset/mine", Value="a test's", Type="String")
    secrets = app.aws("secretsmanager")
    secrets.put_secret_value(SecretId="reset/api-key", SecretString='{"key": "changed"}')
    secrets.create_secret(Name="reset/mine", SecretString="a test's")
    sns = app.aws("sns")
    topic = sns.create_topic(Name="reset-mine")["TopicArn"]
    sqs = app.aws("sqs")
    inbox = sqs.get_queue_url(QueueName="reset-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn["QueueArn"])
    (template_topic,) = [
        t["TopicArn"] for t in sns.list_topics()["Topics"] if "announcements" in t["TopicArn"]
    ]
    sns.set_topic_attributes(
        TopicArn=template_topic, AttributeName="DisplayName", AttributeValue="x"
    )
    events = app.aws("events")
    events.put_rule(Name="reset-mine", EventBusName="reset-bus", EventPattern='{"source": ["x"]}')
    events.disable_rule(Name="reset-to-inbox", EventBusName="reset-bus")
    events.put_events(
        Entries=[
            {"Source": "reset.test", "DetailType": "t", "Detail": "{}", "EventBusName": "reset-bus"}
        ]
    )
    logs = app.aws("logs")
    logs.create_log_group(logGroupName="/reset/mine")
    logs.put_retention_policy(logGroupName="/reset/audit", retentionInDays=1)
    cloudwatch = app.aws("cloudwatch")
    cloudwatch.put_metric_data(Namespace="Reset", MetricData=[{"MetricName": "Errors", "Value": 3}])
    cloudwatch.set_alarm_state(AlarmName="reset-errors", StateValue="ALARM", StateReason="test")
    cloudwatch.put_metric_alarm(
        AlarmName="reset-mine",
        Namespace="Reset",
        MetricName="Other",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanThreshold",
    )
    app.aws("s3").put_object(Bucket="reset-files", Key="a", Body=b"a test's")
    app.aws("s3").create_bucket(Bucket="reset-mine")
    app.aws("kinesis").put_record(StreamName="reset-clicks", Data=b"click", PartitionKey="p")
    app.aws("lambda").invoke(FunctionName="Echo", Payload=b'{"said": "hello"}')
    _settled(app)
    app.aws("dynamodb").create_table(
        TableName="reset-mine",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _settled(app: AppHarness) -> None:
    """The function's log lines have landed (they arrive after its answer), so the reset
    is seen to remove them rather than racing them."""
    logs = app.aws("logs")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
        if "/aws/lambda/Echo" in groups:
            return
        time.sleep(0.05)
    raise AssertionError("the function's logs did not land")


def test_reset_returns_every_service_to_the_template(app: AppHarness) -> None:
    _write_everywhere(app)
    started = time.perf_counter()
    app.reset()
    took_ms = (time.perf_counter() - started) * 1000
    print(f"reset took {took_ms:.1f} ms")  # reported, never asserted (-s shows it)

    ssm = app.aws("ssm")
    settings = ssm.get_parameter(Name="/reset/settings")["Parameter"]
    assert (settings["Value"], settings["Version"]) == ("as-declared", 1)
    with pytest.raises(ssm.exceptions.ParameterNotFound):
        ssm.get_parameter(Name="/reset/mine")

    secrets = app.aws("secretsmanager")
    value = secrets.get_secret_value(SecretId="reset/api-key")["SecretString"]
    assert json.loads(value) == {"key": "as-declared"}
    assert [s["Name"] for s in secrets.list_secrets()["SecretList"]] == ["reset/api-key"]

    sns = app.aws("sns")
    (topic,) = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert topic.endswith(":reset-announcements")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"].get("DisplayName", "") == ""
    (subscription,) = sns.list_subscriptions()["Subscriptions"]
    assert subscription["TopicArn"] == topic

    events = app.aws("events")
    rules = events.list_rules(EventBusName="reset-bus")["Rules"]
    assert [(r["Name"], r["State"]) for r in rules] == [("reset-to-inbox", "ENABLED")]
    (archive,) = events.list_archives()["Archives"]
    assert archive["EventCount"] == 0

    logs = app.aws("logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    assert "/reset/mine" not in groups and "/aws/lambda/Echo" not in groups
    assert groups["/reset/audit"]["retentionInDays"] == 7

    cloudwatch = app.aws("cloudwatch")
    (alarm,) = cloudwatch.describe_alarms()["MetricAlarms"]
    assert (alarm["AlarmName"], alarm["StateValue"]) == ("reset-errors", "INSUFFICIENT_DATA")
    history = cloudwatch.describe_alarm_history(AlarmName="reset-errors")["AlarmHistoryItems"]
    assert [h["HistoryItemType"] for h in history] == ["ConfigurationUpdate"]  # its creation
    assert cloudwatch.list_metrics(Namespace="Reset")["Metrics"] == []

    sqs = app.aws("sqs")
    inbox = sqs.get_queue_url(QueueName="reset-inbox")["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=inbox)
    assert "Contents" not in app.aws("s3").list_objects_v2(Bucket="reset-files")
    kinesis = app.aws("kinesis")
    shard = kinesis.list_shards(StreamName="reset-clicks")["Shards"][0]["ShardId"]
    iterator = kinesis.get_shard_iterator(
        StreamName="reset-clicks", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    assert kinesis.get_records(ShardIterator=iterator)["Records"] == []


def test_the_template_still_works_after_a_reset(app: AppHarness) -> None:
    app.reset()
    events = app.aws("events")
    events.put_events(
        Entries=[
            {"Source": "reset.test", "DetailType": "t", "Detail": "{}", "EventBusName": "reset-bus"}
        ]
    )
    sqs = app.aws("sqs")
    inbox = sqs.get_queue_url(QueueName="reset-inbox")["QueueUrl"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sqs.receive_message(QueueUrl=inbox, WaitTimeSeconds=1).get("Messages"):
            break
    else:
        raise AssertionError("the template's rule did not deliver after the reset")
    ssm = app.aws("ssm")
    ssm.put_parameter(Name="/reset/settings", Value="again", Overwrite=True)
    assert ssm.get_parameter(Name="/reset/settings")["Parameter"]["Version"] == 2
