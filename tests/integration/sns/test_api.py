"""The SNS API through boto3 against `serverlite up`: topics, subscriptions, attributes,
Publish / PublishBatch checks, AWS's errors, and what the template provisioned."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from tests.integration.sns.conftest import ACCOUNT, queue_arn, topic_arn

pytestmark = pytest.mark.integration


def error_of(call, **kwargs) -> tuple[str, str, int]:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    error = info.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        info.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_template_topics_subscriptions_and_policy(sns):
    arns = {t["TopicArn"] for t in sns.list_topics()["Topics"]}
    assert {topic_arn("orders"), topic_arn("orders.fifo")} <= arns
    attributes = sns.get_topic_attributes(TopicArn=topic_arn("orders"))["Attributes"]
    assert attributes["DisplayName"] == "Orders"
    assert json.loads(attributes["Policy"])["Statement"][0]["Principal"] == {
        "Service": "events.amazonaws.com"
    }
    assert int(attributes["SubscriptionsConfirmed"]) >= 4
    fifo = sns.get_topic_attributes(TopicArn=topic_arn("orders.fifo"))["Attributes"]
    assert fifo["FifoTopic"] == "true"
    assert fifo["ContentBasedDeduplication"] == "true"
    tags = sns.list_tags_for_resource(ResourceArn=topic_arn("orders"))["Tags"]
    assert tags == [{"Key": "team", "Value": "shop"}]
    endpoints = {
        (s["Protocol"], s["Endpoint"].rsplit(":", 1)[-1])
        for s in sns.list_subscriptions_by_topic(TopicArn=topic_arn("orders"))["Subscriptions"]
    }
    assert {("lambda", "OnEveryOrder"), ("lambda", "OnRedOrder"), ("sqs", "sns-audit")} <= endpoints


def test_create_topic_is_idempotent_and_checks_names(sns):
    arn = sns.create_topic(Name="api-topic", Attributes={"DisplayName": "API"})["TopicArn"]
    assert arn == topic_arn("api-topic")
    assert sns.create_topic(Name="api-topic")["TopicArn"] == arn
    assert sns.create_topic(Name="api-topic", Attributes={"DisplayName": "API"})["TopicArn"] == arn
    assert error_of(sns.create_topic, Name="api-topic", Attributes={"DisplayName": "Other"}) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
        400,
    )
    assert error_of(sns.create_topic, Name="bad name")[:2] == (
        "InvalidParameter",
        "Invalid parameter: Topic Name",
    )
    _, message, _ = error_of(sns.create_topic, Name="plain", Attributes={"FifoTopic": "true"})
    assert message.startswith("Invalid parameter: Fifo Topic names must end with .fifo")
    assert error_of(sns.create_topic, Name="x.fifo")[1] == "Invalid parameter: Topic Name"
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)  # idempotent
    assert arn not in {t["TopicArn"] for t in sns.list_topics()["Topics"]}


def test_list_topics_pages(sns):
    for i in range(105):
        sns.create_topic(Name=f"page-{i:03d}")
    first = sns.list_topics()
    assert len(first["Topics"]) == 100
    second = sns.list_topics(NextToken=first["NextToken"])
    everything = [t["TopicArn"] for t in first["Topics"] + second["Topics"]]
    assert len(everything) == len(set(everything))
    assert {topic_arn(f"page-{i:03d}") for i in range(105)} <= set(everything)
    assert "NextToken" not in second
    for i in range(105):
        sns.delete_topic(TopicArn=topic_arn(f"page-{i:03d}"))


def test_topic_attributes(sns):
    arn = sns.create_topic(Name="attrs")["TopicArn"]
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Shown")
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["DisplayName"] == "Shown"
    assert attributes["Owner"] == ACCOUNT
    assert (
        json.loads(attributes["EffectiveDeliveryPolicy"])["http"]["defaultHealthyRetryPolicy"][
            "numRetries"
        ]
        == 3
    )
    assert error_of(
        sns.set_topic_attributes, TopicArn=arn, AttributeName="FifoTopic", AttributeValue="true"
    )[:2] == ("InvalidParameter", "Invalid parameter: AttributeName")
    assert error_of(sns.get_topic_attributes, TopicArn=topic_arn("missing")) == (
        "NotFound",
        "Topic does not exist",
        404,
    )
    assert error_of(sns.get_topic_attributes, TopicArn="not-an-arn")[:2] == (
        "InvalidParameter",
        "Invalid parameter: TopicArn",
    )


def test_subscriptions(sns):
    arn = sns.create_topic(Name="subs")["TopicArn"]
    endpoint = queue_arn("subs-queue")
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    assert sub.startswith(f"{arn}:")
    assert sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"] == sub
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert listed == [
        {
            "SubscriptionArn": sub,
            "Owner": ACCOUNT,
            "Protocol": "sqs",
            "Endpoint": endpoint,
            "TopicArn": arn,
        }
    ]
    policy = json.dumps({"color": ["red"]})
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    attributes = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attributes["FilterPolicy"] == policy
    assert attributes["FilterPolicyScope"] == "MessageAttributes"
    assert attributes["RawMessageDelivery"] == "true"
    assert attributes["PendingConfirmation"] == "false"
    assert (
        error_of(
            sns.set_subscription_attributes,
            SubscriptionArn=sub,
            AttributeName="FilterPolicy",
            AttributeValue='{"a": []}',
        )[1]
        == "Invalid parameter: FilterPolicy: Empty arrays are not allowed"
    )
    assert error_of(
        sns.set_subscription_attributes,
        SubscriptionArn=sub,
        AttributeName="FilterPolicyScope",
        AttributeValue="Everything",
    )[1] == (
        "Invalid parameter: FilterPolicyScope: Invalid value [Everything]. Please use either "
        "MessageBody or MessageAttributes"
    )
    sns.unsubscribe(SubscriptionArn=sub)
    sns.unsubscribe(SubscriptionArn=sub)  # idempotent
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    assert error_of(sns.get_subscription_attributes, SubscriptionArn=sub) == (
        "NotFound",
        "Subscription does not exist",
        404,
    )
    sns.delete_topic(TopicArn=arn)


def test_subscribe_refusals(sns):
    arn = sns.create_topic(Name="refusals")["TopicArn"]
    fifo = sns.create_topic(Name="refusals.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    cases = [
        (
            arn,
            "smoke-signal",
            "x",
            "Amazon SNS does not support this protocol string: smoke-signal",
        ),
        (arn, "sqs", "not-an-arn", "SQS endpoint ARN"),
        (arn, "lambda", "arn:aws:sqs:us-east-1:123456789012:q", "Lambda endpoint ARN"),
        (arn, "https", "https://example.com/hook", "only to loopback hosts"),
        (arn, "http", "https://127.0.0.1/hook", "Endpoint must match the specified protocol"),
        (fifo, "sqs", queue_arn("standard"), "Please use FIFO SQS queue"),
        (arn, "sqs", queue_arn("q.fifo"), "FIFO SQS Queues can not be subscribed"),
        (
            fifo,
            "lambda",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Invalid protocol type: lambda",
        ),
    ]
    for topic, protocol, endpoint, message in cases:
        code, text, status = error_of(
            sns.subscribe, TopicArn=topic, Protocol=protocol, Endpoint=endpoint
        )
        assert (code, status) == ("InvalidParameter", 400)
        assert message in text, text
    assert (
        error_of(
            sns.subscribe,
            TopicArn=arn,
            Protocol="lambda",
            Endpoint="arn:aws:lambda:us-east-1:123456789012:function:f",
            Attributes={"RawMessageDelivery": "true"},
        )[1]
        == "Invalid parameter: Delivery protocol [lambda] does not support raw message delivery."
    )
    assert error_of(
        sns.subscribe, TopicArn=topic_arn("nope"), Protocol="sqs", Endpoint=queue_arn("q")
    )[:2] == ("NotFound", "Topic does not exist")


def test_email_and_sms_stay_pending(sns):
    arn = sns.create_topic(Name="people")["TopicArn"]
    answer = sns.subscribe(TopicArn=arn, Protocol="email", Endpoint="someone@example.com")
    assert answer["SubscriptionArn"] == "pending confirmation"
    shown = sns.subscribe(
        TopicArn=arn, Protocol="sms", Endpoint="+15555550100", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    assert shown.startswith(f"{arn}:")
    listed = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert {s["SubscriptionArn"] for s in listed} == {"PendingConfirmation"}
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["SubscriptionsPending"] == "2"
    sns.delete_topic(TopicArn=arn)


def test_publish_refusals(sns):
    arn = topic_arn("orders")
    assert error_of(sns.publish, TopicArn=topic_arn("missing"), Message="x")[:2] == (
        "NotFound",
        "Topic does not exist",
    )
    assert error_of(sns.publish, TopicArn=arn, Message="")[1] == "Invalid parameter: Empty message"
    assert error_of(sns.publish, TopicArn=arn, Message="x" * (256 * 1024 + 1))[1] == (
        "Invalid parameter: Message too long"
    )
    assert (
        error_of(sns.publish, TopicArn=arn, Message='{"sqs": "x"}', MessageStructure="json")[1]
        == "Invalid parameter: Message Structure - No default entry in JSON message body"
    )
    code, message, status = error_of(
        sns.publish,
        TopicArn=arn,
        Message="x",
        MessageAttributes={"n": {"DataType": "Number", "StringValue": "many"}},
    )
    assert (code, status) == ("ParameterValueInvalid", 400)
    assert message == "Could not cast message attribute 'n' value to number."
    assert error_of(sns.publish, TopicArn=topic_arn("orders.fifo"), Message="x")[1] == (
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"
    )
    assert error_of(sns.publish, Message="x")[1] == (
        "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"
    )


def test_publish_batch(sns):
    arn = sns.create_topic(Name="batch")["TopicArn"]
    result = sns.publish_batch(
        TopicArn=arn,
        PublishBatchRequestEntries=[
            {"Id": "ok", "Message": "one"},
            {"Id": "empty", "Message": ""},
            {
                "Id": "bad-attr",
                "Message": "x",
                "MessageAttributes": {"a": {"DataType": "Float", "StringValue": "1"}},
            },
        ],
    )
    assert [entry["Id"] for entry in result["Successful"]] == ["ok"]
    failed = {entry["Id"]: entry for entry in result["Failed"]}
    assert failed["empty"]["Code"] == "InvalidParameter"
    assert failed["empty"]["SenderFault"] is True
    assert failed["bad-attr"]["Code"] == "ParameterValueInvalid"
    entries = [{"Id": str(i), "Message": "x"} for i in range(11)]
    assert error_of(sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=entries)[0] == (
        "TooManyEntriesInBatchRequest"
    )
    twice = [{"Id": "a", "Message": "x"}, {"Id": "a", "Message": "y"}]
    assert error_of(sns.publish_batch, TopicArn=arn, PublishBatchRequestEntries=twice)[0] == (
        "BatchEntryIdsNotDistinct"
    )
    sns.delete_topic(TopicArn=arn)


def test_fifo_publish_deduplicates_for_five_minutes(sns):
    arn = topic_arn("orders.fifo")
    first = sns.publish(TopicArn=arn, Message="same", MessageGroupId="g")
    again = sns.publish(TopicArn=arn, Message="same", MessageGroupId="g")
    other = sns.publish(TopicArn=arn, Message="different", MessageGroupId="g")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    assert int(other["SequenceNumber"]) > int(first["SequenceNumber"])
    assert len(other["SequenceNumber"]) == 20


def test_unsigned_get_is_answered(server, sns):
    arn = sns.create_topic(Name="links")["TopicArn"]
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn("q"))["SubscriptionArn"]
    url = f"{server.url}/?Action=Unsubscribe&SubscriptionArn={sub}"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert b"<UnsubscribeResponse" in response.read()
    assert sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"] == []
    sns.delete_topic(TopicArn=arn)
