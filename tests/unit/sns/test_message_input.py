"""Publish input checks: MessageStructure, subject, size, FIFO parameters and message
attributes, with SNS's error codes and wording."""

from __future__ import annotations

import json
from typing import Any

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.sns import message_attributes
from serverlite.aws.sns.message_input import MAX_MESSAGE_BYTES, check


def refused(params: dict[str, Any], *, fifo: bool = False, dedup: bool = False) -> AwsError:
    with pytest.raises(AwsError) as info:
        check(params, fifo=fifo, content_dedup=dedup)
    return info.value


def test_plain_message() -> None:
    new = check({"Message": "hello", "Subject": "Hi there"}, fifo=False, content_dedup=False)
    assert new.message == "hello"
    assert new.subject == "Hi there"
    assert new.for_protocol("sqs") == "hello"


def test_message_structure_picks_per_protocol_messages() -> None:
    body = json.dumps({"default": "plain", "sqs": "for queues", "lambda": "for functions"})
    new = check({"Message": body, "MessageStructure": "json"}, fifo=False, content_dedup=False)
    assert new.for_protocol("sqs") == "for queues"
    assert new.for_protocol("lambda") == "for functions"
    assert new.for_protocol("https") == "plain"


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        ("not json", "JSON message body failed to parse"),
        ('["default"]', "JSON message body failed to parse"),
        ('{"sqs": "x"}', "No default entry in JSON message body"),
        ('{"default": {"nested": 1}}', "JSON message body failed to parse"),
    ],
)
def test_message_structure_refusals(message: str, reason: str) -> None:
    error = refused({"Message": message, "MessageStructure": "json"})
    assert error.code == "InvalidParameter"
    assert error.message == f"Invalid parameter: Message Structure - {reason}"


def test_empty_message_and_bad_subjects() -> None:
    assert refused({"Message": ""}).message == "Invalid parameter: Empty message"
    assert refused({"Message": "x", "Subject": "line\nbreak"}).message == (
        "Invalid parameter: Subject"
    )
    assert refused({"Message": "x", "Subject": "s" * 101}).message == "Invalid parameter: Subject"
    assert refused({"Message": "x", "Subject": ""}).message == "Invalid parameter: Subject"


def test_size_limit_counts_attributes() -> None:
    check({"Message": "x" * MAX_MESSAGE_BYTES}, fifo=False, content_dedup=False)
    error = refused(
        {
            "Message": "x" * (MAX_MESSAGE_BYTES - 10),
            "MessageAttributes": {"attr": {"DataType": "String", "StringValue": "0123456789"}},
        }
    )
    assert error.message == "Invalid parameter: Message too long"


def test_fifo_parameters() -> None:
    assert refused({"Message": "x"}, fifo=True).message == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )
    assert "ContentBasedDeduplication enabled or MessageDeduplicationId" in (
        refused({"Message": "x", "MessageGroupId": "g"}, fifo=True).message
    )
    new = check({"Message": "x", "MessageGroupId": "g"}, fifo=True, content_dedup=True)
    assert new.dedup_id is not None and len(new.dedup_id) == 64  # SHA-256 of the body
    error = refused({"Message": "x", "MessageDeduplicationId": "d"})
    assert "not valid for this topic type" in error.message


def test_standard_topics_take_a_group_id_but_keep_none() -> None:
    new = check({"Message": "x", "MessageGroupId": "g"}, fifo=False, content_dedup=False)
    assert new.group_id is None


ATTRIBUTE_ERRORS = [
    (
        {"n": {"DataType": "Number", "StringValue": "abc"}},
        "Could not cast message attribute 'n' value to number.",
    ),
    (
        {"s": {"DataType": "String", "StringValue": ""}},
        "The message attribute 's' must contain non-empty message attribute value for message "
        "attribute type 'String'.",
    ),
    (
        {"x": {"DataType": "Float", "StringValue": "1"}},
        "The message attribute 'x' has an invalid message attribute type, the set of supported "
        "type prefixes is Binary, Number, and String.",
    ),
    (
        {"b": {"DataType": "Binary", "StringValue": "AAE="}},
        "The message attribute 'b' with type 'Binary' must use field 'Binary'.",
    ),
    (
        {"a[1]": {"DataType": "String", "StringValue": "v"}},
        "Invalid non-alphanumeric character '#x5B' was found in the message attribute name. "
        "Can only include alphanumeric characters, hyphens, underscores, or dots.",
    ),
]


@pytest.mark.parametrize(("raw", "message"), ATTRIBUTE_ERRORS)
def test_attribute_errors(raw: dict[str, Any], message: str) -> None:
    error = refused({"Message": "x", "MessageAttributes": raw})
    assert error.code == "ParameterValueInvalid"
    assert error.message == message


@pytest.mark.parametrize("name", ["AWS.thing", "Amazon.x", ".lead", "trail.", "two..dots"])
def test_reserved_and_malformed_names(name: str) -> None:
    error = refused(
        {"Message": "x", "MessageAttributes": {name: {"DataType": "String", "StringValue": "v"}}}
    )
    assert error.code == "ParameterValueInvalid"


def test_valid_attribute_types() -> None:
    parsed = message_attributes.parse(
        {
            "s": {"DataType": "String", "StringValue": "v"},
            "n": {"DataType": "Number", "StringValue": "-1.5e3"},
            "b": {"DataType": "Binary", "BinaryValue": "AAE="},
            "a": {"DataType": "String.Array", "StringValue": '["x", 1, true, null]'},
            "c": {"DataType": "Number.float", "StringValue": "2"},
        }
    )
    assert parsed["a"].array() == ["x", 1, True, None]
    assert parsed["b"].to_sqs() == {"DataType": "Binary", "BinaryValue": "AAE="}
    assert parsed["n"].to_json() == {"Type": "Number", "Value": "-1.5e3"}
    assert parsed["b"].size == len("Binary") + 2
