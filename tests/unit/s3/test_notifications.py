"""The S3 event record and S3's EventBridge events, built without I/O."""

from __future__ import annotations

import json

from serverlite.aws.s3 import notifications
from serverlite.aws.s3.records import Bucket, ObjectVersion

BUCKET = Bucket(
    "photos",
    "eu-west-1",
    0.0,
    "Enabled",
    {
        "notification": {
            "targets": [
                {
                    "kind": "QueueConfiguration",
                    "id": "removals",
                    "arn": "arn:aws:sqs:eu-west-1:123456789012:q",
                    "events": ["s3:ObjectRemoved:*"],
                    "prefix": "",
                    "suffix": "",
                },
                {
                    "kind": "CloudFunctionConfiguration",
                    "id": "thumbs",
                    "arn": "arn:aws:lambda:eu-west-1:123456789012:function:f",
                    "events": ["s3:ObjectCreated:*"],
                    "prefix": "in/",
                    "suffix": "",
                },
            ],
            "eventbridge": True,
        }
    },
)
REQUEST = {
    "headers": {"authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/x"},
    "request_id": "req-1",
    "source_ip": "127.0.0.1",
}


def _version(key: str, marker: bool = False) -> ObjectVersion:
    return ObjectVersion("photos", key, "v1", marker, None if marker else "b", 5, '"abc"', 0, {})


def test_a_creation_goes_to_the_matching_function_and_to_eventbridge() -> None:
    notes = notifications.notes(
        "ObjectCreated:Put", _version("in/a b.jpg"), BUCKET, REQUEST, "123456789012", 0.0
    )
    assert [n.arn for n in notes] == ["arn:aws:lambda:eu-west-1:123456789012:function:f", ""]
    record = json.loads(notes[0].body)["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "eu-west-1"
    assert record["userIdentity"] == {"principalId": "AWS:AKIDEXAMPLE"}
    assert record["responseElements"]["x-amz-request-id"] == "req-1"
    assert record["s3"]["configurationId"] == "thumbs"
    assert record["s3"]["object"]["key"] == "in/a+b.jpg"
    assert record["s3"]["object"]["eTag"] == "abc" and record["s3"]["object"]["size"] == 5
    assert record["s3"]["object"]["versionId"] == "v1"
    detail = json.loads(notes[1].body)
    assert notes[1].detail_type == "Object Created"
    assert detail["object"]["key"] == "in/a b.jpg"  # EventBridge's keys are not encoded
    assert detail["reason"] == "PutObject" and detail["requester"] == "123456789012"


def test_a_delete_marker_goes_to_the_queue_without_size_or_etag() -> None:
    notes = notifications.notes(
        "ObjectRemoved:DeleteMarkerCreated",
        _version("other/x", marker=True),
        BUCKET,
        REQUEST,
        "123456789012",
        0.0,
    )
    assert [n.arn for n in notes] == ["arn:aws:sqs:eu-west-1:123456789012:q", ""]
    obj = json.loads(notes[0].body)["Records"][0]["s3"]["object"]
    assert set(obj) == {"key", "versionId", "sequencer"}
    detail = json.loads(notes[1].body)
    assert notes[1].detail_type == "Object Deleted"
    assert detail["deletion-type"] == "Delete Marker Created"
    assert detail["reason"] == "DeleteObject"


def test_lifecycle_expirations_are_signed_by_s3() -> None:
    notes = notifications.notes(
        "LifecycleExpiration:Delete", _version("x"), BUCKET, {}, "123456789012", 0.0
    )
    detail = json.loads(notes[-1].body)
    assert detail["reason"] == "Lifecycle Expiration"
    assert detail["requester"] == "s3.amazonaws.com"


def test_the_test_event_goes_to_queues_and_topics_only() -> None:
    notes = notifications.test_notes("photos", BUCKET.config["notification"], "req", 0.0)
    assert [n.arn for n in notes] == ["arn:aws:sqs:eu-west-1:123456789012:q"]
    assert json.loads(notes[0].body)["Event"] == "s3:TestEvent"
