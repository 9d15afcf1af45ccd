"""Each service's operations ask IAM for the action and resource the Service
Authorization Reference names (the maps are data beside each service)."""

from __future__ import annotations

import base64
import json

from serverlite.aws.events.iam_actions import events_map, scheduler_map
from serverlite.aws.events.names import Arns
from serverlite.aws.s3.iam_actions import iam_map as s3_map
from serverlite.aws.sns.iam_actions import iam_map as sns_map
from serverlite.aws.sqs.iam_actions import iam_map as sqs_map
from serverlite.aws.ssm.iam_actions import iam_map as ssm_map
from serverlite.aws.stepfunctions.iam_actions import iam_map as sfn_map
from serverlite.iam.request import IamRequest

REGION, ACCOUNT = "us-east-1", "123456789012"


def pairs(requests: object) -> list[tuple[str, str]]:
    assert isinstance(requests, tuple)
    return [(r.action, r.resource) for r in requests if isinstance(r, IamRequest)]


def test_sqs_batches_ask_for_the_single_message_action_on_the_queue() -> None:
    sqs = sqs_map(REGION, ACCOUNT)
    url = f"http://127.0.0.1:4566/{ACCOUNT}/jobs"
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
    assert pairs(sqs("SendMessageBatch", {"QueueUrl": url})) == [("sqs:SendMessage", queue)]
    assert pairs(sqs("DeleteMessageBatch", {"QueueUrl": url})) == [("sqs:DeleteMessage", queue)]
    assert pairs(sqs("GetQueueUrl", {"QueueName": "jobs"})) == [("sqs:GetQueueUrl", queue)]
    assert pairs(sqs("ListQueues", {})) == [("sqs:ListQueues", "*")]


def test_sns_publish_batch_is_publish_and_listings_act_on_nothing() -> None:
    sns = sns_map(REGION, ACCOUNT)
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    assert pairs(sns("PublishBatch", {"TopicArn": topic})) == [("sns:Publish", topic)]
    assert pairs(sns("CreateTopic", {"Name": "alerts"})) == [("sns:CreateTopic", topic)]
    assert pairs(sns("ListTopics", {})) == [("sns:ListTopics", "*")]


def test_ssm_parameter_arns_drop_the_leading_slash_and_the_selector() -> None:
    ssm = ssm_map(REGION, ACCOUNT)
    base = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter"
    assert pairs(ssm("GetParameter", {"Name": "/app/key:3"})) == [
        ("ssm:GetParameter", f"{base}/app/key")
    ]
    assert pairs(ssm("GetParameters", {"Names": ["a", "/b/c"]})) == [
        ("ssm:GetParameters", f"{base}/a"),
        ("ssm:GetParameters", f"{base}/b/c"),
    ]
    assert pairs(ssm("DescribeParameters", {})) == [("ssm:DescribeParameters", "*")]


def test_put_events_asks_per_bus_with_source_and_detail_type() -> None:
    events = events_map(Arns(REGION, ACCOUNT))
    asked = events("PutEvents", {"Entries": [
        {"Source": "app", "DetailType": "t"},
        {"Source": "app", "DetailType": "t", "EventBusName": "audit"},
    ]})  # fmt: skip
    assert pairs(asked) == [
        ("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"),
        ("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/audit"),
    ]
    assert dict(asked[0].context) == {"events:source": "app", "events:detail-type": "t"}
    assert pairs(events("PutRule", {"Name": "r", "EventBusName": "audit"})) == [
        ("events:PutRule", f"arn:aws:events:{REGION}:{ACCOUNT}:rule/audit/r")
    ]
    schedule = scheduler_map(REGION, ACCOUNT)(
        "GetSchedule", {"path": {"name": "nightly"}, "query": {}, "body": b""}
    )
    assert pairs(schedule) == [
        ("scheduler:GetSchedule", f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/default/nightly")
    ]


def test_s3_names_the_action_iam_checks_and_the_object_or_bucket() -> None:
    s3 = s3_map()
    assert pairs(s3("HeadObject", {"bucket": "b", "key": "k/1"})) == [
        ("s3:GetObject", "arn:aws:s3:::b/k/1")
    ]
    assert pairs(s3("GetObject", {"bucket": "b", "key": "k", "query": {"versionId": "v"}})) == [
        ("s3:GetObjectVersion", "arn:aws:s3:::b/k")
    ]
    assert pairs(s3("ListObjects", {"bucket": "b", "key": None})) == [
        ("s3:ListBucket", "arn:aws:s3:::b")
    ]
    copy = {"bucket": "b", "key": "to", "headers": {"x-amz-copy-source": "/src/from%20here"}}
    assert pairs(s3("CopyObject", copy)) == [
        ("s3:PutObject", "arn:aws:s3:::b/to"),
        ("s3:GetObject", "arn:aws:s3:::src/from here"),
    ]
    assert pairs(s3("ListBuckets", {"bucket": None})) == [("s3:ListAllMyBuckets", "*")]


def test_step_functions_act_on_the_machine_or_execution() -> None:
    sfn = sfn_map(REGION, ACCOUNT)
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:flow"
    assert pairs(sfn("StartExecution", {"stateMachineArn": machine})) == [
        ("states:StartExecution", machine)
    ]
    assert pairs(sfn("CreateStateMachine", {"name": "flow"})) == [
        ("states:CreateStateMachine", machine)
    ]
    assert pairs(sfn("SendTaskSuccess", {"taskToken": "t"})) == [("states:SendTaskSuccess", "*")]


def test_kinesis_get_records_names_the_stream_in_its_iterator() -> None:
    from serverlite.aws.kinesis.iam_actions import iam_map

    class Ctx:
        def arn(self, name: str) -> str:
            return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{name}"

    kinesis = iam_map(Ctx())  # type: ignore[arg-type]
    iterator = base64.b64encode(json.dumps(["clicks", "id", 0, 0, 0.0]).encode()).decode()
    stream = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks"
    assert pairs(kinesis("GetRecords", {"ShardIterator": iterator})) == [
        ("kinesis:GetRecords", stream)
    ]
    assert pairs(kinesis("PutRecord", {"StreamName": "clicks"})) == [("kinesis:PutRecord", stream)]
