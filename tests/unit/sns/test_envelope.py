"""What subscribers receive: the JSON envelope, the Lambda event (against AWS's own
sample snsEvent.json), and HTTP confirmations."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from serverlite.aws.sns import envelope
from serverlite.aws.sns.message_attributes import MessageAttribute
from tests.aws_samples import aws_sample

SUB = "arn:aws:sns:us-east-1:123456789012:orders:6f1d9a50-8f05-4a3c-9b8f-8d8a7f3e2c11"
TOPIC = "arn:aws:sns:us-east-1:123456789012:orders"
ENDPOINT = "http://127.0.0.1:4566"


def note(**overrides: object) -> envelope.Notification:
    fields: dict[str, object] = {
        "message_id": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "topic_arn": TOPIC,
        "message": "Hello from SNS!",
        "timestamp": 1546433107.0,
        "subject": "TestInvoke",
        "attributes": {
            "Test": MessageAttribute("String", "TestString"),
            "TestBinary": MessageAttribute("Binary", "VGVzdEJpbmFyeQ=="),
        },
    }
    fields.update(overrides)
    return envelope.Notification(**fields)  # type: ignore[arg-type]


def test_lambda_event_has_the_sample_keys_and_shapes() -> None:
    sample = aws_sample("snsEvent.json")["Records"][0]
    ours = envelope.lambda_event(note(), SUB, ENDPOINT)["Records"][0]
    assert set(ours) == set(sample)
    assert set(ours["Sns"]) == set(sample["Sns"])
    assert ours["EventSource"] == "aws:sns"
    assert ours["EventVersion"] == "1.0"
    assert ours["EventSubscriptionArn"] == SUB
    sns = ours["Sns"]
    assert sns["Type"] == "Notification"
    assert sns["Timestamp"] == "2019-01-02T12:45:07.000Z"
    assert sns["SignatureVersion"] == "1"
    assert sns["MessageAttributes"]["Test"] == {"Type": "String", "Value": "TestString"}
    assert sns["MessageAttributes"]["TestBinary"]["Type"] == "Binary"
    assert sns["UnsubscribeUrl"].startswith(f"{ENDPOINT}/?Action=Unsubscribe&SubscriptionArn=")
    for key, value in sample["Sns"].items():
        assert type(sns[key]) is type(value), key


def test_lambda_event_without_subject_or_attributes() -> None:
    sns = envelope.lambda_event(note(subject=None, attributes={}), SUB, ENDPOINT)["Records"][0]
    assert sns["Sns"]["Subject"] is None  # Lambda sees null, as on AWS
    assert sns["Sns"]["MessageAttributes"] == {}


def test_envelope_fields_and_order() -> None:
    doc = envelope.notification(note(), SUB, ENDPOINT)
    assert list(doc) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert doc["MessageAttributes"]["Test"] == {"Type": "String", "Value": "TestString"}
    query = parse_qs(urlsplit(doc["UnsubscribeURL"]).query)
    assert query == {"Action": ["Unsubscribe"], "SubscriptionArn": [SUB]}


def test_envelope_leaves_out_what_is_absent() -> None:
    doc = envelope.notification(note(subject=None, attributes={}), SUB, ENDPOINT)
    assert "Subject" not in doc
    assert "MessageAttributes" not in doc
    assert "SequenceNumber" not in doc


def test_fifo_envelope_has_a_sequence_number() -> None:
    doc = envelope.notification(note(sequence_number="10000000000000000001"), SUB, ENDPOINT)
    assert list(doc)[:3] == ["Type", "MessageId", "SequenceNumber"]


def test_envelope_is_printed_as_sns_prints_it() -> None:
    text = envelope.dumps(envelope.notification(note(), SUB, ENDPOINT))
    assert text.startswith('{\n  "Type" : "Notification",\n  "MessageId" : ')
    assert json.loads(text)["Message"] == "Hello from SNS!"


def test_signature_is_stable_and_base64() -> None:
    first = envelope.notification(note(), SUB, ENDPOINT)["Signature"]
    again = envelope.notification(note(), SUB, ENDPOINT)["Signature"]
    other = envelope.notification(note(message="other"), SUB, ENDPOINT)["Signature"]
    assert first == again != other
    assert len(first) == 44


def test_subscription_confirmation() -> None:
    doc = envelope.confirmation(
        envelope.SUBSCRIPTION_CONFIRMATION, "m-1", TOPIC, "tok", ENDPOINT, 1546433107.25
    )
    assert doc["Type"] == "SubscriptionConfirmation"
    assert doc["Token"] == "tok"
    assert doc["Timestamp"] == "2019-01-02T12:45:07.250Z"
    assert TOPIC in doc["Message"]
    query = parse_qs(urlsplit(doc["SubscribeURL"]).query)
    assert query == {"Action": ["ConfirmSubscription"], "TopicArn": [TOPIC], "Token": ["tok"]}
    assert doc["SubscribeURL"].startswith(f"{ENDPOINT}/?")


def test_timestamp_rounds_to_milliseconds() -> None:
    assert envelope.timestamp_text(0.9996) == "1970-01-01T00:00:01.000Z"
