import base64

import pytest

from serverlite.aws.sqs.errors import SqsError
from serverlite.aws.sqs.message_input import parse

LIMIT = 1024 * 1024


def fails(params, code, text="", *, fifo=False, max_size=LIMIT):
    with pytest.raises(SqsError) as caught:
        parse(params, fifo=fifo, max_size=max_size)
    assert caught.value.code == code
    assert text in caught.value.message
    return caught.value


def test_a_plain_message():
    message = parse({"MessageBody": "hello"}, fifo=False, max_size=LIMIT)
    assert message.md5_of_body == "5d41402abc4b2a76b9719d911017c592"
    assert message.md5_of_attributes is None
    assert message.delay_s is None


def test_body_characters_outside_xml_set_are_rejected_as_aws_words_it():
    error = fails({"MessageBody": "a\x00b"}, "InvalidMessageContents", "'#x0'")
    assert error.message == (
        "Invalid binary character '#x0' was found in the message body, the set of allowed "
        "characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."
    )
    assert error.headers["x-amzn-query-error"] == "InvalidMessageContents;Sender"
    fails({"MessageBody": "\ufffe"}, "InvalidMessageContents", "'#xFFFE'")
    parse({"MessageBody": "tab\there\nnew \U0001f600 \ue000"}, fifo=False, max_size=LIMIT)


def _allowed(cp: int) -> bool:  # SQS's set, as its error message spells it
    return (
        cp in (0x9, 0xA, 0xD)
        or 0x20 <= cp <= 0xD7FF
        or 0xE000 <= cp <= 0xFFFD
        or 0x10000 <= cp <= 0x10FFFF
    )


@pytest.mark.parametrize(
    "cp",
    [
        *(0x0, 0x8, 0x9, 0xA, 0xB, 0xC, 0xD, 0xE, 0x1F, 0x20, 0x7F, 0xD7FF, 0xD800, 0xDFFF),
        *(0xE000, 0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x1F600, 0x10FFFF),
    ],
)
def test_exactly_the_characters_outside_the_set_are_refused(cp):
    body = "a" + chr(cp) + "b"
    if _allowed(cp):
        assert parse({"MessageBody": body}, fifo=False, max_size=LIMIT).body == body
    else:
        fails({"MessageBody": body}, "InvalidMessageContents", f"'#x{cp:X}'")


def test_empty_body_is_a_missing_parameter():
    fails({"MessageBody": ""}, "MissingParameter", "MessageBody")


def test_size_counts_body_and_attributes():
    body = "x" * 1000
    attributes = {"k": {"DataType": "String", "StringValue": "v" * 30}}
    parse({"MessageBody": body, "MessageAttributes": attributes}, fifo=False, max_size=1037)
    fails(
        {"MessageBody": body, "MessageAttributes": attributes},
        "InvalidParameterValue",
        "Message must be shorter than 1036 bytes.",
        max_size=1036,
    )


def test_one_mebibyte_is_the_default_limit():
    parse({"MessageBody": "x" * LIMIT}, fifo=False, max_size=LIMIT)
    fails({"MessageBody": "x" * (LIMIT + 1)}, "InvalidParameterValue", "shorter than 1048576")


def test_message_attributes():
    message = parse(
        {
            "MessageBody": "b",
            "MessageAttributes": {
                "s": {"DataType": "String", "StringValue": "x"},
                "n": {"DataType": "Number.int", "StringValue": "-1.5e3"},
                "b": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x00\x01").decode()},
            },
        },
        fifo=False,
        max_size=LIMIT,
    )
    assert message.attributes["b"].binary_value == b"\x00\x01"
    assert message.md5_of_attributes is not None


@pytest.mark.parametrize(
    ("attributes", "text"),
    [
        ({f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}, "[11]"),
        ({"a": {"DataType": "Strin", "StringValue": "v"}}, "supported type prefixes"),
        ({"a": {"DataType": "String", "StringValue": ""}}, "non-empty message attribute value"),
        ({"a": {"DataType": "Number", "StringValue": "ten"}}, "to a number"),
        ({"AWS.x": {"DataType": "String", "StringValue": "v"}}, "reserved"),
        ({"a..b": {"DataType": "String", "StringValue": "v"}}, "is invalid"),
        ({"a": {"DataType": "String", "StringListValues": ["v"]}}, "list values"),
        ({"a": {"DataType": "Binary", "BinaryValue": "***"}}, "base64"),
    ],
)
def test_invalid_message_attributes(attributes, text):
    fails({"MessageBody": "b", "MessageAttributes": attributes}, "InvalidParameterValue", text)


def test_trace_header_system_attribute():
    message = parse(
        {
            "MessageBody": "b",
            "MessageSystemAttributes": {
                "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}
            },
        },
        fifo=False,
        max_size=LIMIT,
    )
    assert message.trace_header == "Root=1-abc"
    assert message.md5_of_system_attributes is not None
    fails(
        {"MessageBody": "b", "MessageSystemAttributes": {"Other": {"DataType": "String"}}},
        "InvalidParameterValue",
    )


def test_delay_seconds():
    assert (
        parse({"MessageBody": "b", "DelaySeconds": 900}, fifo=False, max_size=LIMIT).delay_s == 900
    )
    fails({"MessageBody": "b", "DelaySeconds": 901}, "InvalidParameterValue", "DelaySeconds")
    fails(
        {"MessageBody": "b", "DelaySeconds": 5, "MessageGroupId": "g"},
        "InvalidParameterValue",
        "not valid for this queue type",
        fifo=True,
    )


def test_fifo_parameters():
    fails({"MessageBody": "b"}, "MissingParameter", "MessageGroupId", fifo=True)
    fails(
        {"MessageBody": "b", "MessageDeduplicationId": "d"},
        "InvalidParameterValue",
        "not valid for this queue type",
    )
    fails({"MessageBody": "b", "MessageGroupId": "a b"}, "InvalidParameterValue", fifo=True)
    # Standard queues take a MessageGroupId (fair queues).
    assert parse({"MessageBody": "b", "MessageGroupId": "t"}, fifo=False, max_size=LIMIT).group_id
