"""Topic names, ARNs, and the endpoints each protocol accepts (loopback-only HTTP)."""

from __future__ import annotations

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.sns import names

TOPIC = "arn:aws:sns:us-east-1:123456789012:orders"


@pytest.mark.parametrize(
    ("name", "fifo", "ok"),
    [
        ("orders", False, True),
        ("a" * 256, False, True),
        ("a" * 257, False, False),
        ("with space", False, False),
        ("orders.fifo", False, False),
        ("orders.fifo", True, True),
        ("orders", True, False),
        ("a" * 252 + ".fifo", True, False),
    ],
)
def test_topic_names(name: str, fifo: bool, ok: bool) -> None:
    if ok:
        names.check_topic_name(name, fifo)
    else:
        with pytest.raises(AwsError):
            names.check_topic_name(name, fifo)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("10.0.0.1", False),
        ("example.com", False),
        ("169.254.169.254", False),
        ("", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    assert names.is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("protocol", "endpoint"),
    [
        ("http", "http://127.0.0.1:8080/hook"),
        ("https", "https://localhost/hook"),
        ("http", "http://[::1]:9000/"),
        ("sqs", "arn:aws:sqs:us-east-1:123456789012:queue"),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:fn"),
        ("lambda", "arn:aws:lambda:us-east-1:123456789012:function:fn:live"),
        ("email", "someone@example.com"),
        ("sms", "+15555550100"),
    ],
)
def test_accepted_endpoints(protocol: str, endpoint: str) -> None:
    names.check_endpoint(protocol, endpoint, fifo_topic=False)


@pytest.mark.parametrize(
    ("protocol", "endpoint", "reason"),
    [
        ("http", "http://192.168.1.10/hook", "only to loopback hosts"),
        ("https", "https://example.com/", "only to loopback hosts"),
        ("https", "http://127.0.0.1/", "Endpoint must match the specified protocol"),
        ("sqs", "https://sqs.us-east-1.amazonaws.com/123456789012/q", "SQS endpoint ARN"),
        ("lambda", "fn", "Lambda endpoint ARN"),
        ("email", "nobody", "Email address"),
        ("application", "arn:aws:sns:us-east-1:1:app/GCM/x", "does not deliver to application"),
        ("carrier-pigeon", "x", "does not support this protocol string: carrier-pigeon"),
        ("sqs", "", "Invalid parameter: Endpoint"),
    ],
)
def test_refused_endpoints(protocol: str, endpoint: str, reason: str) -> None:
    with pytest.raises(AwsError) as info:
        names.check_endpoint(protocol, endpoint, fifo_topic=False)
    assert info.value.code == "InvalidParameter"
    assert reason in info.value.message


def test_fifo_topics_take_fifo_queues_only() -> None:
    names.check_endpoint("sqs", "arn:aws:sqs:us-east-1:123456789012:q.fifo", fifo_topic=True)
    with pytest.raises(AwsError, match="Please use FIFO SQS queue"):
        names.check_endpoint("sqs", "arn:aws:sqs:us-east-1:123456789012:q", fifo_topic=True)


def test_subscription_arns() -> None:
    sub = names.new_subscription_arn(TOPIC)
    assert names.subscription_topic(sub) == TOPIC
    assert names.subscription_topic(TOPIC) is None
    assert names.subscription_topic("PendingConfirmation") is None
    assert names.function_of("arn:aws:lambda:us-east-1:1:function:fn:live") == (
        "arn:aws:lambda:us-east-1:1:function:fn"
    )
