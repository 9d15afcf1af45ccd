"""EventBridge on `serverlite up` through boto3: template rules delivering to functions,
SQS and other buses, PutEvents results, DLQs, and the rules, targets and buses API."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.aws_samples import aws_sample, aws_sample_text
from tests.integration.conftest import Server
from tests.integration.events.conftest import client, marker, wait_for

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"


def put(events, **entry):
    entry.setdefault("DetailType", "Test")
    entry.setdefault("Detail", "{}")
    result = events.put_events(Entries=[entry])
    assert result["FailedEntryCount"] == 0, result
    return result["Entries"][0]["EventId"]


def code(raised: pytest.ExceptionInfo[ClientError]) -> str:
    return str(raised.value.response["Error"]["Code"])


# -- template rules to functions ---------------------------------------------------------


def test_sam_eventbridge_rule_delivers_the_envelope(events, markers):
    event_id = put(
        events,
        Source="shop",
        DetailType="OrderPlaced",
        EventBusName="orders",
        Detail=json.dumps({"total": 12.5, "sku": "x"}),
        Resources=["arn:aws:x"],
    )
    event = marker(markers, event_id)
    sample = aws_sample("eventBridgeEvent.json")
    assert list(event) == [key for key in sample if key != "replay-name"]
    assert event["version"] == "0"
    assert event["detail-type"] == "OrderPlaced"
    assert event["source"] == "shop"
    assert event["account"] == ACCOUNT
    assert event["region"] == "us-east-1"
    assert event["resources"] == ["arn:aws:x"]
    assert event["detail"] == {"total": 12.5, "sku": "x"}
    assert time.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_events_the_pattern_refuses_are_not_delivered(events, markers):
    refused = put(
        events,
        Source="shop",
        DetailType="OrderPlaced",
        EventBusName="orders",
        Detail='{"total": 0}',
    )
    wrong_bus = put(events, Source="shop", DetailType="OrderPlaced", Detail='{"total": 5}')
    # The twins, put afterwards and to the same function: the same pattern on the orders
    # bus with a total it accepts, and the default bus's own rule (CloudWatchEvent).
    accepted = put(
        events,
        Source="shop",
        DetailType="OrderPlaced",
        EventBusName="orders",
        Detail='{"total": 5}',
    )
    legacy = put(events, Source="legacy")
    assert marker(markers, accepted)["detail"] == {"total": 5}
    assert marker(markers, legacy)["source"] == "legacy"
    # Rules match at PutEvents; both refused events went in before the two delivered.
    assert not (markers / f"{refused}.json").exists()
    assert not (markers / f"{wrong_bus}.json").exists()


def test_input_transformer_from_the_template(events, markers):
    event_id = put(events, Source="shaper", Detail='{"state": "ready"}')
    assert marker(markers, event_id) == {
        "id": event_id,
        "text": "state is ready",
        "rule": "ShapedShape",
    }


def test_a_bus_target_forwards_to_another_bus(events, markers):
    event_id = put(events, Source="relay")  # default bus -> orders bus -> OnOrder
    assert marker(markers, event_id)["source"] == "relay"


def test_sqs_target_and_dead_letter_queue(server: Server, events):
    event_id = put(events, Source="copier", Detail='{"n": 1}')
    sqs = client(server, "sqs")

    def message(queue):
        url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
        messages = sqs.receive_message(
            QueueUrl=url,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
            MaxNumberOfMessages=10,
        ).get("Messages", [])
        for found in messages:
            if json.loads(found["Body"])["id"] == event_id:
                return found
        return None

    copied = wait_for(lambda: message("orders-copy"))
    assert json.loads(copied["Body"])["detail"] == {"n": 1}
    # the other target is a function that does not exist: AWS does not retry that,
    # it sends the event straight to the target's DLQ with these attributes
    dead = wait_for(lambda: message("events-dlq"))
    attributes = {k: v["StringValue"] for k, v in dead["MessageAttributes"].items()}
    assert attributes == {
        "RULE_ARN": f"arn:aws:events:us-east-1:{ACCOUNT}:rule/copy-and-fail",
        "TARGET_ARN": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:does-not-exist",
        "ERROR_CODE": "NO_RESOURCE",
        "ERROR_MESSAGE": f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
        "does-not-exist",
        "RETRY_ATTEMPTS": "0",
    }


# -- PutEvents ---------------------------------------------------------------------------


def test_put_events_results(events):
    result = events.put_events(
        Entries=[
            {"Source": "a", "DetailType": "t", "Detail": "{}"},
            {"Source": "a", "DetailType": "t", "Detail": "not json"},
            {"Source": "a", "DetailType": "t"},
            {"Source": "a", "DetailType": "t", "Detail": "{}", "EventBusName": "nope"},
            {"Source": "aws.ec2", "DetailType": "t", "Detail": "{}"},
        ]
    )
    entries = result["Entries"]
    assert result["FailedEntryCount"] == 4
    assert len(entries[0]["EventId"]) == 36
    assert [e.get("ErrorCode") for e in entries[1:]] == [
        "MalformedDetail",
        "InvalidArgument",
        "ResourceNotFoundException",
        "NotAuthorizedForSourceException",
    ]
    with pytest.raises(ClientError) as too_many:
        events.put_events(Entries=[{"Source": "a", "DetailType": "t", "Detail": "{}"}] * 11)
    assert code(too_many) == "ValidationException"


# -- the API: rules and targets ----------------------------------------------------------


def test_api_rules_targets_and_delivery(server, events, markers):
    name = f"api-{uuid.uuid4().hex[:8]}"
    arn = events.put_rule(
        Name=name, EventPattern=json.dumps({"source": [name]}), Description="made by a test"
    )["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{name}"
    described = events.describe_rule(Name=name)
    assert described["State"] == "ENABLED"
    assert described["EventBusName"] == "default"
    assert json.loads(described["EventPattern"]) == {"source": [name]}
    function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:OnOrder"
    result = events.put_targets(
        Rule=name,
        Targets=[
            {
                "Id": "fn",
                "Arn": function_arn,
                "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 120},
            },
        ],
    )
    assert result["FailedEntryCount"] == 0
    targets = events.list_targets_by_rule(Rule=name)["Targets"]
    assert targets[0]["RetryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 120}
    assert events.list_rule_names_by_target(TargetArn=function_arn)["RuleNames"].count(name) == 1
    event_id = put(events, Source=name)
    assert marker(markers, event_id)["source"] == name
    # disabled: nothing is delivered; enabled again, the same rule delivers what is put
    # after (so the event put while it was disabled had its chance to arrive first)
    events.disable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "DISABLED"
    quiet = put(events, Source=name)
    events.enable_rule(Name=name)
    assert events.describe_rule(Name=name)["State"] == "ENABLED"
    loud = put(events, Source=name)
    assert marker(markers, loud)["source"] == name
    assert not (markers / f"{quiet}.json").exists()
    # a rule with targets cannot be deleted
    with pytest.raises(ClientError) as has_targets:
        events.delete_rule(Name=name)
    assert code(has_targets) == "ValidationException"
    assert "has targets" in has_targets.value.response["Error"]["Message"]
    removed = events.remove_targets(Rule=name, Ids=["fn", "ghost"])
    assert removed["FailedEntryCount"] == 1
    events.delete_rule(Name=name)
    events.delete_rule(Name=name)  # a second delete succeeds, as on AWS
    with pytest.raises(ClientError) as gone:
        events.describe_rule(Name=name)
    assert code(gone) == "ResourceNotFoundException"


def test_invalid_patterns_are_refused_as_aws_refuses_them(events):
    with pytest.raises(ClientError) as raised:
        events.put_rule(Name="bad", EventPattern='{"detail": {"n": [{"numeric": [">", "x"]}]}}')
    assert code(raised) == "InvalidEventPatternException"
    assert raised.value.response["Error"]["Message"] == (
        "Event pattern is not valid. Reason: Value of > must be numeric"
    )
    with pytest.raises(ClientError) as neither:
        events.put_rule(Name="bad")
    assert code(neither) == "ValidationException"
    with pytest.raises(ClientError) as bad_rate:
        events.put_rule(Name="bad", ScheduleExpression="rate(1 minutes)")
    assert (
        bad_rate.value.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."
    )
    assert events.test_event_pattern(
        EventPattern='{"detail": {"state": [{"anything-but": "running"}]}}',
        Event=aws_sample_text("eventBridgeEvent.json"),
    )["Result"]


def test_target_limits_and_validation(events):
    name = f"lim-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=name, EventPattern='{"source": ["nobody"]}')
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:OnOrder"
    with pytest.raises(ClientError) as too_many:
        events.put_targets(Rule=name, Targets=[{"Id": f"t{i}", "Arn": fn} for i in range(6)])
    assert code(too_many) == "LimitExceededException"
    with pytest.raises(ClientError) as both:
        events.put_targets(
            Rule=name, Targets=[{"Id": "t", "Arn": fn, "Input": "{}", "InputPath": "$.detail"}]
        )
    assert code(both) == "ValidationException"
    with pytest.raises(ClientError) as retries:
        events.put_targets(
            Rule=name,
            Targets=[{"Id": "t", "Arn": fn, "RetryPolicy": {"MaximumRetryAttempts": 186}}],
        )
    assert "less than or equal to 185" in retries.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as missing_rule:
        events.put_targets(Rule="no-such-rule", Targets=[{"Id": "t", "Arn": fn}])
    assert code(missing_rule) == "ResourceNotFoundException"


def test_list_rules_prefix_and_pagination(events):
    prefix = f"page-{uuid.uuid4().hex[:6]}-"
    for i in range(5):
        events.put_rule(Name=f"{prefix}{i}", EventPattern='{"source": ["nobody"]}')
    first = events.list_rules(NamePrefix=prefix, Limit=2)
    assert [r["Name"] for r in first["Rules"]] == [f"{prefix}0", f"{prefix}1"]
    names = [r["Name"] for r in first["Rules"]]
    token = first.get("NextToken")
    while token:
        page = events.list_rules(NamePrefix=prefix, Limit=2, NextToken=token)
        names += [r["Name"] for r in page["Rules"]]
        token = page.get("NextToken")
    assert names == [f"{prefix}{i}" for i in range(5)]
    paginated = events.get_paginator("list_rules").paginate(NamePrefix=prefix)
    assert sum(len(page["Rules"]) for page in paginated) == 5


# -- buses ---------------------------------------------------------------------------------


def test_event_buses(events):
    name = f"bus-{uuid.uuid4().hex[:8]}"
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    assert arn == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{name}"
    with pytest.raises(ClientError) as exists:
        events.create_event_bus(Name=name)
    assert code(exists) == "ResourceAlreadyExistsException"
    assert events.describe_event_bus(Name=arn)["Name"] == name
    assert events.describe_event_bus()["Name"] == "default"
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert {"default", "orders", name} <= set(names)
    events.put_rule(Name="on-bus", EventBusName=name, EventPattern='{"source": ["x"]}')
    assert events.list_rules(EventBusName=name)["Rules"][0]["Arn"].endswith(f"rule/{name}/on-bus")
    with pytest.raises(ClientError) as scheduled:
        events.put_rule(Name="tick", EventBusName=name, ScheduleExpression="rate(5 minutes)")
    assert code(scheduled) == "ValidationException"
    with pytest.raises(ClientError) as default:
        events.delete_event_bus(Name="default")
    assert code(default) == "ValidationException"
    events.delete_event_bus(Name=name)
    with pytest.raises(ClientError) as gone:
        events.describe_event_bus(Name=name)
    assert code(gone) == "ResourceNotFoundException"


# -- archives and replay -----------------------------------------------------------------


def test_archive_and_replay(events, markers):
    tag = uuid.uuid4().hex[:8]
    bus = events.describe_event_bus(Name="orders")["Arn"]
    archive_arn = events.create_archive(
        ArchiveName=f"arc-{tag}", EventSourceArn=bus, EventPattern=json.dumps({"source": [tag]})
    )["ArchiveArn"]
    start = time.time() - 1
    first = put(events, Source=tag, EventBusName="orders")
    put(events, Source="someone-else", EventBusName="orders")
    wait_for(lambda: events.describe_archive(ArchiveName=f"arc-{tag}")["EventCount"] == 1)
    # a rule made after the event: only a replay can bring the event to it
    events.put_rule(
        Name=f"late-{tag}", EventBusName="orders", EventPattern=json.dumps({"source": [tag]})
    )
    events.put_targets(
        Rule=f"late-{tag}",
        EventBusName="orders",
        Targets=[
            {
                "Id": "fn",
                "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:Shaped",
                "InputTransformer": {
                    "InputPathsMap": {"id": "$.id", "r": "$.replay-name"},
                    "InputTemplate": '{"id": "replayed-<id>", "replay": <r>}',
                },
            },
        ],
    )
    events.start_replay(
        ReplayName=f"rep-{tag}",
        EventSourceArn=archive_arn,
        EventStartTime=start,
        EventEndTime=time.time() + 1,
        Destination={"Arn": bus},
    )
    assert marker(markers, f"replayed-{first}") == {
        "id": f"replayed-{first}",
        "replay": f"rep-{tag}",
    }
    replay = wait_for(
        lambda: (r := events.describe_replay(ReplayName=f"rep-{tag}"))["State"] == "COMPLETED" and r
    )
    assert replay["EventSourceArn"] == archive_arn
    listed = events.list_archives(NamePrefix=f"arc-{tag}")["Archives"]
    assert [a["EventCount"] for a in listed] == [1]
    events.delete_archive(ArchiveName=f"arc-{tag}")
    with pytest.raises(ClientError) as gone:
        events.describe_archive(ArchiveName=f"arc-{tag}")
    assert code(gone) == "ResourceNotFoundException"


def test_sns_target(server: Server, events):
    sns, sqs = client(server, "sns"), client(server, "sqs")
    topic = sns.create_topic(Name="events-fanout")["TopicArn"]
    queue = sqs.create_queue(QueueName="from-topic")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    events.put_rule(Name="to-topic", EventPattern='{"source": ["announcer"]}')
    events.put_targets(Rule="to-topic", Targets=[{"Id": "topic", "Arn": topic}])
    event_id = put(events, Source="announcer", Detail='{"x": 1}')

    def published():
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
        return [m for m in messages if json.loads(m["Body"])["id"] == event_id]

    (message,) = wait_for(published)
    assert json.loads(message["Body"])["detail"] == {"x": 1}
