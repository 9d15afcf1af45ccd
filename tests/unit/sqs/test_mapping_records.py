from serverlite.aws.sqs.checksums import AttributeValue
from serverlite.aws.sqs.mapping.filtering import matches
from serverlite.aws.sqs.mapping.records import record
from serverlite.aws.sqs.records import StoredMessage
from serverlite.patterns import compile_pattern

# The keys of a record in AWS's sample (tests/fixtures/aws-events/sqsEvent.json; the integration
# tests compare with the file itself), plus md5OfMessageAttributes, which Lambda sends.
RECORD_KEYS = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfMessageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}


def message(body="Test message.", attributes=None, **fields):
    return StoredMessage(
        seq=7,
        message_id="059f36b4-87a3-44ab-83d2-661975830a7d",
        body=body,
        attributes=attributes or {},
        md5_of_body="e4e68fb7bd0e697a0ae8f1bb342846b3",
        md5_of_attributes="abc" if attributes else None,
        trace_header=None,
        sender_id="AIDAIENQZJOLO23YVJ4VO",
        sent_at=1545082649.183,
        receive_count=1,
        first_received_at=1545082649.185,
        receipt_handle="AQEB...",
        **fields,
    )


ARN = "arn:aws:sqs:us-east-2:123456789012:my-queue"


def test_a_record_has_the_keys_and_values_of_aws_sample():
    shown = record(message(), ARN, "us-east-2", fifo=False)
    assert shown["attributes"] == {
        "ApproximateReceiveCount": "1",
        "SentTimestamp": "1545082649183",
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": "1545082649185",
    }
    assert shown["md5OfMessageAttributes"] is None
    assert (shown["eventSource"], shown["eventSourceARN"], shown["awsRegion"]) == (
        "aws:sqs",
        ARN,
        "us-east-2",
    )
    assert set(shown) == RECORD_KEYS


def test_message_attributes_in_camel_case_with_list_fields():
    attributes = {
        "s": AttributeValue("String", string_value="x"),
        "b": AttributeValue("Binary", binary_value=b"\x01"),
    }
    shown = record(message(attributes=attributes), ARN, "us-east-2", fifo=False)
    assert shown["messageAttributes"] == {
        "s": {
            "stringValue": "x",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "b": {
            "binaryValue": "AQ==",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    assert shown["md5OfMessageAttributes"] == "abc"


def test_fifo_records_carry_group_deduplication_and_sequence():
    shown = record(message(group_id="g", dedup_id="d"), ARN + ".fifo", "us-east-2", fifo=True)
    assert shown["attributes"]["MessageGroupId"] == "g"
    assert shown["attributes"]["MessageDeduplicationId"] == "d"
    assert len(shown["attributes"]["SequenceNumber"]) == 20


def test_filters_on_json_bodies_and_attributes():
    on_body = compile_pattern('{"body": {"kind": ["order"], "n": [{"numeric": [">", 1]}]}}')
    on_attribute = compile_pattern('{"messageAttributes": {"p": {"stringValue": ["high"]}}}')
    plain = compile_pattern('{"body": [{"prefix": "hello"}]}')
    high = {"p": AttributeValue("String", string_value="high")}

    def check(filters, body, attributes=None):
        return matches(filters, record(message(body, attributes), ARN, "r", fifo=False))

    assert check([on_body], '{"kind": "order", "n": 2}')
    assert not check([on_body], '{"kind": "order", "n": 1}')
    assert not check([on_body], "kind order")  # a body pattern never matches plain text
    assert check([plain], "hello world")
    assert check([on_body, on_attribute], "anything", high)  # filters are alternatives
    assert check([], "no filters: everything")
