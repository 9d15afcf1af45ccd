"""`serverlite generate-event`: every sample has the fields of AWS's own sample of that
event (tests/fixtures/aws-events), takes its options, and is fresh each time."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from serverlite.commands.sample_events import SAMPLES, generate
from tests.aws_samples import aws_sample

# (service, event) -> AWS's sample of the same event
SAME_SHAPE = {
    ("dynamodb", "update"): "dynamoStreamEvent.json",
    ("kinesis", "get-records"): "kinesisStreamEvent.json",
    ("sqs", "receive-message"): "sqsEvent.json",
    ("sns", "notification"): "snsEvent.json",
    ("apigateway", "http-api-proxy"): "apiGatewayProxyV2Event.json",
    ("eventbridge", "event"): "eventBridgeEvent.json",
}
# Fields of AWS's samples that are optional in real events (present only sometimes).
OPTIONAL = {"cookies", "queryStringParameters", "pathParameters", "stageVariables"}
OPTIONAL |= {"authentication", "authorizer", "replay-name"}


def _first_record(event: dict[str, Any]) -> dict[str, Any]:
    return event["Records"][0] if "Records" in event else event


def _missing(ours: Any, theirs: Any, path: str = "") -> list[str]:
    if not isinstance(theirs, dict) or not isinstance(ours, dict):
        return []
    gaps = []
    for key, value in theirs.items():
        if key in OPTIONAL or key in ("OldImage", "NewImage"):
            continue
        if key not in ours:
            gaps.append(f"{path}{key}")
        elif key not in ("Keys", "MessageAttributes", "messageAttributes", "headers", "detail"):
            gaps += _missing(ours[key], value, f"{path}{key}.")
    return gaps


@pytest.mark.parametrize(("sample", "fixture"), SAME_SHAPE.items())
def test_samples_have_the_fields_of_aws_samples(sample: tuple[str, str], fixture: str) -> None:
    ours = _first_record(generate(*sample, {}))
    assert _missing(ours, _first_record(aws_sample(fixture))) == []


def test_every_sample_builds_and_is_fresh() -> None:
    for service, events in SAMPLES.items():
        for event in events:
            first, second = generate(service, event, {}), generate(service, event, {})
            # A Kinesis batch has no id of its own: its sequence numbers are the options.
            assert first != second or service == "kinesis", (service, event)


def test_options_go_where_sam_puts_them() -> None:
    put = generate("s3", "put", {"bucket": "b", "key": "a b/c", "body": "hello"})["Records"][0]
    assert put["s3"]["bucket"] == {
        "name": "b",
        "ownerIdentity": {"principalId": "EXAMPLE"},
        "arn": "arn:aws:s3:::b",
    }
    assert put["s3"]["object"]["key"] == "a+b/c"  # URL-encoded, as S3 sends it
    assert put["s3"]["object"]["size"] == 5
    assert put["eventName"] == "ObjectCreated:Put"
    assert generate("s3", "delete", {})["Records"][0]["eventName"] == "ObjectRemoved:Delete"
    sqs = generate("sqs", "receive-message", {"body": "hi", "queue-name": "q"})["Records"][0]
    assert (sqs["body"], sqs["eventSourceARN"].rsplit(":", 1)[1]) == ("hi", "q")
    kinesis = generate("kinesis", "get-records", {"data": "a|b"})["Records"]
    assert [base64.b64decode(r["kinesis"]["data"]) for r in kinesis] == [b"a", b"b"]
    api = generate("apigateway", "aws-proxy", {"method": "GET", "path": "/x"})
    assert (api["httpMethod"], api["path"]) == ("GET", "/x")
    scheduled = generate("cloudwatch", "scheduled-event", {"rule": "r"})
    assert scheduled["detail-type"] == "Scheduled Event"
    assert scheduled["resources"][0].endswith(":rule/r")
