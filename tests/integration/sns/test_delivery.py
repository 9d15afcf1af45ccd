"""Fan-out: Lambda subscribers (events checked against AWS's snsEvent.json), SQS raw
and enveloped, HTTP on 127.0.0.1 (confirmation, notifications, retries), filter
policies, FIFO order, and subscription dead-letter queues."""

from __future__ import annotations

import json
import urllib.request
import uuid

import pytest

from tests.aws_samples import aws_sample
from tests.integration.sns.conftest import (
    marker,
    queue_arn,
    receive,
    topic_arn,
    wait_for,
)

pytestmark = pytest.mark.integration
ORDERS = topic_arn("orders")


def red(amount: str = "25") -> dict[str, dict[str, str]]:
    return {
        "color": {"DataType": "String", "StringValue": "red"},
        "amount": {"DataType": "Number", "StringValue": amount},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }


def test_lambda_subscriber_gets_an_sns_event(sns, markers):
    order = f"o-{uuid.uuid4().hex[:8]}"
    published = sns.publish(
        TopicArn=ORDERS,
        Message=json.dumps({"id": order}),
        Subject="New order",
        MessageAttributes=red(),
    )
    event = marker(markers, f"every-{order}")
    sample = aws_sample("snsEvent.json")
    record, expected = event["Records"][0], sample["Records"][0]
    assert set(event) == set(sample)
    assert set(record) == set(expected)
    assert set(record["Sns"]) == set(expected["Sns"])
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    subs = sns.list_subscriptions_by_topic(TopicArn=ORDERS)["Subscriptions"]
    mine = next(s for s in subs if s["Endpoint"].endswith(":OnEveryOrder"))
    assert record["EventSubscriptionArn"] == mine["SubscriptionArn"]
    message = record["Sns"]
    assert message["MessageId"] == published["MessageId"]
    assert message["TopicArn"] == ORDERS
    assert message["Subject"] == "New order"
    assert message["Type"] == "Notification"
    assert message["MessageAttributes"]["color"] == {"Type": "String", "Value": "red"}
    assert message["MessageAttributes"]["amount"] == {"Type": "Number", "Value": "25"}
    assert message["MessageAttributes"]["blob"] == {"Type": "Binary", "Value": "AAE="}


def test_filter_policies_on_attributes_and_body(sns, markers):
    blue, cheap, big, small, rich = (
        f"{k}-{uuid.uuid4().hex[:8]}" for k in ("b", "c", "g", "s", "r")
    )
    sns.publish(
        TopicArn=ORDERS,
        Message=json.dumps({"id": blue}),
        MessageAttributes={
            "color": {"DataType": "String", "StringValue": "blue"},
            "amount": {"DataType": "Number", "StringValue": "25"},
        },
    )
    sns.publish(TopicArn=ORDERS, Message=json.dumps({"id": cheap}), MessageAttributes=red("5"))
    sns.publish(TopicArn=ORDERS, Message=json.dumps({"id": small, "kind": "small"}))
    sns.publish(TopicArn=ORDERS, Message=json.dumps({"id": big, "kind": "big"}))
    sns.publish(TopicArn=ORDERS, Message=json.dumps({"id": rich}), MessageAttributes=red("25"))
    for name in (blue, cheap, big, small, rich):
        marker(markers, f"every-{name}")  # the unfiltered subscriber gets everything
    # Each filtered subscriber gets what its policy matches: they are alive, so what
    # they do not get below was filtered out, not lost.
    marker(markers, f"big-{big}")
    red_event = marker(markers, f"red-{rich}")  # red, and amount 25 is > 10
    assert json.loads(red_event["Records"][0]["Sns"]["Message"]) == {"id": rich}
    # Filters apply at Publish; each message below went out before the one its
    # subscriber has now received (`big` for OnBigOrder, `rich` for OnRedOrder).
    names = {p.name for p in markers.glob("*.json")}
    assert f"red-{blue}.json" not in names
    assert f"red-{cheap}.json" not in names  # amount 5 is not > 10
    assert f"big-{small}.json" not in names
    assert f"red-{big}.json" not in names  # no attributes: an attribute policy never matches


def test_message_structure_json_per_protocol(sns, markers):
    order = f"m-{uuid.uuid4().hex[:8]}"
    body = {
        "default": "for everyone",
        "lambda": json.dumps({"id": order, "for": "lambda"}),
    }
    sns.publish(TopicArn=ORDERS, Message=json.dumps(body), MessageStructure="json")
    event = marker(markers, f"every-{order}")
    assert json.loads(event["Records"][0]["Sns"]["Message"]) == {"id": order, "for": "lambda"}


def test_sqs_subscribers_enveloped_and_raw(sns, sqs, server):
    topic = sns.create_topic(Name="to-queues")["TopicArn"]
    enveloped = sqs.create_queue(QueueName="sns-enveloped")["QueueUrl"]
    raw = sqs.create_queue(QueueName="sns-raw")["QueueUrl"]
    env_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn("sns-enveloped"))
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn("sns-raw"),
        Attributes={"RawMessageDelivery": "true"},
    )
    published = sns.publish(
        TopicArn=topic, Message="hello queues", Subject="Hi", MessageAttributes=red()
    )
    body = json.loads(receive(sqs, enveloped, 1)[0]["Body"])
    assert body["Type"] == "Notification"
    assert body["MessageId"] == published["MessageId"]
    assert body["TopicArn"] == topic
    assert body["Subject"] == "Hi"
    assert body["Message"] == "hello queues"
    assert body["SignatureVersion"] == "1"
    assert body["Timestamp"].endswith("Z")
    assert body["SigningCertURL"].startswith(server.url)
    assert body["UnsubscribeURL"] == (
        f"{server.url}/?Action=Unsubscribe&SubscriptionArn="
        + env_sub["SubscriptionArn"].replace(":", "%3A")
    )
    assert body["MessageAttributes"]["color"] == {"Type": "String", "Value": "red"}
    message = receive(sqs, raw, 1)[0]
    assert message["Body"] == "hello queues"
    attributes = message["MessageAttributes"]
    assert attributes["color"] == {"StringValue": "red", "DataType": "String"}
    assert attributes["amount"] == {"StringValue": "25", "DataType": "Number"}
    assert attributes["blob"] == {"BinaryValue": b"\x00\x01", "DataType": "Binary"}
    sns.delete_topic(TopicArn=topic)


def test_template_raw_subscription_with_body_filter(sns, sqs):
    url = sqs.get_queue_url(QueueName="sns-audit")["QueueUrl"]
    sns.publish(TopicArn=ORDERS, Message=json.dumps({"kind": "other", "n": 1}))
    sns.publish(TopicArn=ORDERS, Message=json.dumps({"kind": "audit", "n": 2}))
    bodies = [json.loads(m["Body"]) for m in receive(sqs, url, 1)]
    assert bodies == [{"kind": "audit", "n": 2}]


def test_fifo_topic_keeps_group_order(sns, sqs):
    url = sqs.get_queue_url(QueueName="sns-orders.fifo")["QueueUrl"]
    sent = []
    for i in range(15):
        answer = sns.publish(
            TopicArn=topic_arn("orders.fifo"),
            Message=f"step {i}",
            MessageGroupId="order-1",
            MessageDeduplicationId=f"{uuid.uuid4()}",
        )
        sent.append(answer["SequenceNumber"])
    got = []
    while len(got) < 15:
        for message in receive(sqs, url, 1):
            body = json.loads(message["Body"])
            if body["Message"].startswith("step "):
                got.append(body)
    assert [b["Message"] for b in got] == [f"step {i}" for i in range(15)]
    assert [b["SequenceNumber"] for b in got] == sent
    assert got[0]["TopicArn"] == topic_arn("orders.fifo")


def test_http_subscriber_confirms_and_receives(sns, http_subscriber):
    topic = sns.create_topic(Name="to-http")["TopicArn"]
    answer = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_subscriber.url)
    assert answer["SubscriptionArn"] == "pending confirmation"
    confirmation = http_subscriber.next()
    assert confirmation.path == "/hook"
    assert confirmation.headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert confirmation.headers["x-amz-sns-topic-arn"] == topic
    assert "x-amz-sns-subscription-arn" not in confirmation.headers
    doc = confirmation.json
    assert doc["Type"] == "SubscriptionConfirmation"
    assert doc["TopicArn"] == topic
    assert doc["MessageId"] == confirmation.headers["x-amz-sns-message-id"]
    with urllib.request.urlopen(doc["SubscribeURL"], timeout=5) as response:
        assert b"<ConfirmSubscriptionResponse" in response.read()
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    sub = listed[0]["SubscriptionArn"]
    assert sub.startswith(f"{topic}:")
    published = sns.publish(TopicArn=topic, Message="over http", MessageAttributes=red())
    note = http_subscriber.next()
    assert note.headers["x-amz-sns-message-type"] == "Notification"
    assert note.headers["x-amz-sns-message-id"] == published["MessageId"]
    assert note.headers["x-amz-sns-subscription-arn"] == sub
    assert note.headers["content-type"] == "text/plain; charset=UTF-8"
    assert note.json["Message"] == "over http"
    assert note.json["MessageAttributes"]["amount"] == {"Type": "Number", "Value": "25"}
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    sns.publish(TopicArn=topic, Message="raw over http")
    raw = http_subscriber.next()
    assert raw.body == "raw over http"
    assert raw.headers["x-amz-sns-rawdelivery"] == "true"
    sns.unsubscribe(SubscriptionArn=sub)
    goodbye = http_subscriber.next()
    assert goodbye.headers["x-amz-sns-message-type"] == "UnsubscribeConfirmation"
    sns.delete_topic(TopicArn=topic)


def test_confirm_subscription_with_the_token(sns, http_subscriber):
    topic = sns.create_topic(Name="to-http-token")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=http_subscriber.url)
    token = http_subscriber.next().json["Token"]
    with pytest.raises(Exception, match="Invalid parameter: Token"):
        sns.confirm_subscription(TopicArn=topic, Token="nope")
    arn = sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"]
    assert (
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"]
        == "false"
    )
    sns.delete_topic(TopicArn=topic)


def test_http_server_errors_are_retried(sns, http_subscriber):
    topic = sns.create_topic(Name="http-retries")["TopicArn"]
    sub = sns.subscribe(
        TopicArn=topic, Protocol="http", Endpoint=http_subscriber.url, ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    sns.confirm_subscription(TopicArn=topic, Token=http_subscriber.next().json["Token"])
    http_subscriber.statuses[:] = [500, 503]
    sns.publish(TopicArn=topic, Message="eventually")
    attempts = [http_subscriber.next() for _ in range(3)]  # 20 s apart on AWS; 0.2 s here
    assert [a.json["Message"] for a in attempts] == ["eventually"] * 3
    assert (
        attempts[0].headers["x-amz-sns-message-id"] == attempts[2].headers["x-amz-sns-message-id"]
    )
    assert sub.startswith(topic)
    sns.delete_topic(TopicArn=topic)


def test_client_errors_go_to_the_subscription_dlq(sns, sqs):
    topic = sns.create_topic(Name="dlq-topic")["TopicArn"]
    dlq = sqs.create_queue(QueueName="sns-sub-dlq")["QueueUrl"]
    redrive = json.dumps({"deadLetterTargetArn": queue_arn("sns-sub-dlq")})
    sns.subscribe(  # a queue that does not exist: a client-side error, never retried
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn("sns-no-such-queue"),
        Attributes={"RedrivePolicy": redrive},
    )
    sns.subscribe(  # a function that does not exist
        TopicArn=topic,
        Protocol="lambda",
        Endpoint="arn:aws:lambda:us-east-1:123456789012:function:NoSuchFunction",
        Attributes={"RedrivePolicy": redrive},
    )
    published = sns.publish(TopicArn=topic, Message="undeliverable")
    bodies = [json.loads(m["Body"]) for m in receive(sqs, dlq, 2)]
    assert [b["MessageId"] for b in bodies] == [published["MessageId"]] * 2
    assert {b["Message"] for b in bodies} == {"undeliverable"}
    sns.delete_topic(TopicArn=topic)


def test_http_client_error_goes_to_dlq_raw(sns, sqs, http_subscriber):
    topic = sns.create_topic(Name="http-dlq")["TopicArn"]
    dlq = sqs.create_queue(QueueName="sns-http-dlq")["QueueUrl"]
    sub = sns.subscribe(
        TopicArn=topic,
        Protocol="http",
        Endpoint=http_subscriber.url,
        Attributes={
            "RawMessageDelivery": "true",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": queue_arn("sns-http-dlq")}),
        },
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    sns.confirm_subscription(TopicArn=topic, Token=http_subscriber.next().json["Token"])
    http_subscriber.statuses[:] = [404]
    sns.publish(TopicArn=topic, Message="refused", MessageAttributes=red())
    assert http_subscriber.next().body == "refused"
    message = receive(sqs, dlq, 1)[0]
    assert message["Body"] == "refused"
    assert message["MessageAttributes"]["color"]["StringValue"] == "red"
    wait_for(http_subscriber.requests.empty)
    assert sub.startswith(topic)
    sns.delete_topic(TopicArn=topic)


def test_sqs_subscription_fills_sams_queue(sns, sqs, markers):
    """``SqsSubscription: true``: the topic delivers to the queue SAM creates, and the
    event source mapping SAM adds drains that queue into the function."""
    order = f"q-{uuid.uuid4().hex[:8]}"
    sns.publish(TopicArn=ORDERS, Message=json.dumps({"id": order, "kind": "queued"}))

    def arrived() -> dict | None:
        path = markers / f"queued-{order}.json"
        if path.exists():
            record = json.loads(path.read_text())["event"]["Records"][0]
            assert record["eventSource"] == "aws:sqs"
            return dict(json.loads(record["body"]))
        return None

    envelope = wait_for(arrived)
    assert envelope["Type"] == "Notification"
    assert json.loads(envelope["Message"]) == {"id": order, "kind": "queued"}
