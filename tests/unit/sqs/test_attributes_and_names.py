import pytest

from serverlite.aws.sqs import names, queue_attributes, receipts
from serverlite.aws.sqs.errors import SqsError


def test_defaults():
    assert queue_attributes.defaults(fifo=False) == {
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "VisibilityTimeout": "30",
        "SqsManagedSseEnabled": "true",
    }
    fifo = queue_attributes.defaults(fifo=True)
    assert fifo["FifoQueue"] == "true"
    assert fifo["DeduplicationScope"] == "queue"


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"),
        ({"MessageRetentionPeriod": "1209601"}, "InvalidAttributeValue"),
        ({"DelaySeconds": "x"}, "InvalidAttributeValue"),
        ({"Nope": "1"}, "InvalidAttributeName"),
        ({"QueueArn": "x"}, "InvalidAttributeName"),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName"),  # standard queue
    ],
)
def test_invalid_attributes(attributes, code):
    with pytest.raises(SqsError) as caught:
        queue_attributes.check(attributes, fifo=False, creating=True)
    assert caught.value.code == code


def test_unknown_attribute_wording():
    with pytest.raises(SqsError) as caught:
        queue_attributes.requested(["Foo"], fifo=False)
    assert caught.value.message == "Unknown Attribute Foo."


def test_all_lists_fifo_attributes_only_for_fifo_queues():
    assert "FifoQueue" not in queue_attributes.requested(["All"], fifo=False)
    assert "ContentBasedDeduplication" in queue_attributes.requested(["All"], fifo=True)


def test_queue_urls_match_by_account_and_name_whatever_the_host():
    ref = names.QueueRef("123456789012", "orders")
    for url in (
        "http://127.0.0.1:4566/123456789012/orders",
        "https://sqs.us-east-1.amazonaws.com/123456789012/orders",
        "http://localhost:9999/123456789012/orders",
    ):
        assert names.parse_url(url) == ref
    with pytest.raises(SqsError) as caught:
        names.parse_url("http://127.0.0.1:4566/orders")
    assert caught.value.code == "InvalidAddress"


@pytest.mark.parametrize(
    ("name", "fifo", "ok"),
    [
        ("orders", False, True),
        ("a" * 80, False, True),
        ("a" * 81, False, False),
        ("has space", False, False),
        ("orders.fifo", False, False),  # a .fifo name needs FifoQueue=true
        ("orders.fifo", True, True),
        ("orders", True, False),
    ],
)
def test_queue_names(name, fifo, ok):
    if ok:
        names.check_name(name, fifo)
    else:
        with pytest.raises(SqsError):
            names.check_name(name, fifo)


def test_receipt_handles_round_trip_and_reject_garbage():
    receipt = receipts.Receipt(3, 42, receipts.new_token())
    assert receipts.decode(receipt.encode()) == receipt
    for bad in ("", "garbage", "AQEB!!!", "AQEBbm8tY29sb25z"):
        with pytest.raises(SqsError) as caught:
            receipts.decode(bad)
        assert caught.value.code == "ReceiptHandleIsInvalid"
