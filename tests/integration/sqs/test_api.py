"""SQS on `serverlite up`, driven by boto3's real sqs client (JSON protocol)."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import sigv4

pytestmark = pytest.mark.integration

ACCOUNT = "123456789012"


@pytest.fixture
def name() -> str:
    return f"q{uuid.uuid4().hex[:12]}"


def error(caught: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


# -- the template -------------------------------------------------------------------


def test_template_queues_exist_with_their_attributes(sqs, server):
    url = sqs.get_queue_url(QueueName="plain")["QueueUrl"]
    assert url == f"{server.url}/{ACCOUNT}/plain"
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["DelaySeconds"] == "1"
    assert attributes["MessageRetentionPeriod"] == "3600"
    assert attributes["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:plain"
    assert '"sqs:SendMessage"' in attributes["Policy"]  # from the AWS::SQS::QueuePolicy
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "orders"}
    work = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    redrive = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["RedrivePolicy"])
    assert redrive["Attributes"]["RedrivePolicy"] == (
        f'{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:{ACCOUNT}:work-dlq","maxReceiveCount":2}}'
    )
    dlq = sqs.get_queue_url(QueueName="work-dlq")["QueueUrl"]
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [work]
    fifo = sqs.get_queue_url(QueueName="ordered.fifo")["QueueUrl"]
    fifo_attributes = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["All"])
    assert fifo_attributes["Attributes"]["FifoQueue"] == "true"
    assert fifo_attributes["Attributes"]["ContentBasedDeduplication"] == "true"


# -- queues --------------------------------------------------------------------------


def test_create_get_list_delete(sqs, server, name):
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "5"})["QueueUrl"]
    assert url == f"{server.url}/{ACCOUNT}/{name}"
    # CreateQueue is idempotent with the same attributes...
    assert (
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "5"})["QueueUrl"] == url
    )
    # ...and refuses different ones.
    with pytest.raises(sqs.exceptions.QueueNameExists) as caught:
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "6"})
    assert error(caught) == (
        "QueueAlreadyExists",
        "A queue already exists with the same name and a different value for attribute "
        "VisibilityTimeout",
    )
    assert url in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    # Any host in the URL finds the queue: only account and name count.
    elsewhere = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{name}"
    assert sqs.get_queue_attributes(QueueUrl=elsewhere, AttributeNames=["QueueArn"])
    sqs.delete_queue(QueueUrl=url)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=name)
    with pytest.raises(sqs.exceptions.QueueDeletedRecently):
        sqs.create_queue(QueueName=name)


def test_queue_does_not_exist_is_answered_as_aws_does(sqs, server):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName="no-such-queue")
    response = caught.value.response
    assert response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"
    assert response["Error"]["Message"] == "The specified queue does not exist."
    headers = response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=f"{server.url}/{ACCOUNT}/no-such-queue", MessageBody="x")


def test_invalid_names_and_attributes(sqs, name):
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName="bad name")
    assert error(caught)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(QueueName=f"{name}.fifo")
    assert "must end with .fifo suffix" in error(caught)[1]
    with pytest.raises(sqs.exceptions.InvalidAttributeValue) as caught:
        sqs.create_queue(QueueName=name, Attributes={"MessageRetentionPeriod": "30"})
    assert error(caught) == (
        "InvalidAttributeValue",
        "Invalid value for the parameter MessageRetentionPeriod.",
    )
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    with pytest.raises(sqs.exceptions.InvalidAttributeName) as caught:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert error(caught) == ("InvalidAttributeName", "Unknown Attribute Bogus.")


def test_list_queues_pages_with_max_results(sqs, name):
    for i in range(5):
        sqs.create_queue(QueueName=f"{name}-{i}")
    first = sqs.list_queues(QueueNamePrefix=name, MaxResults=2)
    second = sqs.list_queues(QueueNamePrefix=name, MaxResults=2, NextToken=first["NextToken"])
    third = sqs.list_queues(QueueNamePrefix=name, MaxResults=2, NextToken=second["NextToken"])
    urls = first["QueueUrls"] + second["QueueUrls"] + third["QueueUrls"]
    assert [u.rsplit("/", 1)[1] for u in urls] == [f"{name}-{i}" for i in range(5)]
    assert "NextToken" not in third
    assert "NextToken" not in sqs.list_queues(QueueNamePrefix=name)


def test_set_attributes_and_tags(sqs, name):
    url = sqs.create_queue(QueueName=name, tags={"a": "1"})["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "3"})
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds", "QueueArn"])
    assert got["Attributes"] == {
        "QueueArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}",
        "DelaySeconds": "3",
    }
    sqs.tag_queue(QueueUrl=url, Tags={"b": "2"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["a"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"b": "2"}
    with pytest.raises(ClientError) as caught:
        sqs.set_queue_attributes(
            QueueUrl=url,
            Attributes={
                "RedrivePolicy": f'{{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:{ACCOUNT}:'
                f'missing", "maxReceiveCount": 3}}'
            },
        )
    assert error(caught)[0] == "InvalidParameterValue"


# -- messages ------------------------------------------------------------------------


def test_send_receive_delete_with_attributes_and_md5s(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="Test message.",
        MessageAttributes={
            "SellerName": {"DataType": "String", "StringValue": "Example Store"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
            "meta.kind": {"DataType": "String", "StringValue": "k"},
        },
        MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe"}
        },
    )
    assert sent["MD5OfMessageBody"] == "e4e68fb7bd0e697a0ae8f1bb342846b3"
    assert sent["MD5OfMessageSystemAttributes"]
    received = sqs.receive_message(
        QueueUrl=url,
        MessageSystemAttributeNames=["All"],
        MessageAttributeNames=["All"],
    )["Messages"]
    (message,) = received
    assert message["MessageId"] == sent["MessageId"]
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttributes"]["blob"] == {
        "BinaryValue": b"\x00\xff",
        "DataType": "Binary",
    }
    attributes = message["Attributes"]
    assert attributes["ApproximateReceiveCount"] == "1"
    assert attributes["AWSTraceHeader"] == "Root=1-5759e988-bd862e3fe"
    assert attributes["SenderId"].startswith("AIDA")
    assert abs(int(attributes["SentTimestamp"]) / 1000 - time.time()) < 5
    # Selecting attributes by name and by prefix.
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    again = sqs.receive_message(
        QueueUrl=url,
        AttributeNames=["ApproximateReceiveCount"],
        MessageAttributeNames=["SellerName"],
    )["Messages"][0]
    assert again["Attributes"] == {"ApproximateReceiveCount": "2"}
    assert list(again["MessageAttributes"]) == ["SellerName"]
    assert again["MD5OfMessageAttributes"] == "cd28f3b68aeee4b2eac9c66f2f694b58"
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0
    )
    again = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["meta.*"])["Messages"][0]
    assert list(again["MessageAttributes"]) == ["meta.kind"]
    # Only the latest receipt handle deletes the message.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 1
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"])
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 0


def test_invalid_receipt_handle(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid) as caught:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert error(caught) == (
        "ReceiptHandleIsInvalid",
        'The input receipt handle "not-a-handle" is not a valid receipt handle.',
    )


def test_invalid_message_contents_and_size(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"MaximumMessageSize": "1024"})["QueueUrl"]
    with pytest.raises(sqs.exceptions.InvalidMessageContents):
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error(caught) == (
        "InvalidParameterValue",
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.",
    )


def test_send_message_batch_results_and_errors(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "one", "DelaySeconds": 0},
            {"Id": "bad", "MessageBody": "two \x00"},
            {
                "Id": "attrs",
                "MessageBody": "three",
                "MessageAttributes": {"k": {"DataType": "Number", "StringValue": "7"}},
            },
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["ok", "attrs"]
    assert result["Successful"][0]["MD5OfMessageBody"] == hashlib.md5(b"one").hexdigest()
    assert "MD5OfMessageAttributes" in result["Successful"][1]
    (failed,) = result["Failed"]
    assert (failed["Id"], failed["Code"], failed["SenderFault"]) == (
        "bad",
        "InvalidMessageContents",
        True,
    )
    with pytest.raises(sqs.exceptions.TooManyEntriesInBatchRequest) as caught:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(11)]
        )
    assert error(caught)[1] == "Maximum number of entries per request are 10. You have sent 11."
    with pytest.raises(sqs.exceptions.BatchEntryIdsNotDistinct) as caught:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]
        )
    assert error(caught) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated.")
    with pytest.raises(sqs.exceptions.EmptyBatchRequest):
        sqs.send_message_batch(QueueUrl=url, Entries=[])
    with pytest.raises(sqs.exceptions.BatchRequestTooLong):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": "x" * 200_000} for i in range(6)],
        )


def test_delete_and_visibility_batches(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)]
    )
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 3
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": "garbage", "VisibilityTimeout": 0},
        ],
    )
    assert [e["Id"] for e in changed["Successful"]] == ["a"]
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"m{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[1:])
        ],
    )
    assert len(deleted["Successful"]) == 2
    assert _count(sqs, url, "ApproximateNumberOfMessages") == 1


def test_receive_limits(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    with pytest.raises(ClientError) as caught:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error(caught) == (
        "InvalidParameterValue",
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, "
        "if provided.",
    )
    with pytest.raises(ClientError):
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)


def test_long_polling_wakes_on_send(sqs, server, name):
    from tests.integration.sqs.conftest import sqs_client

    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    other = sqs_client(server)
    timer = threading.Timer(0.3, lambda: other.send_message(QueueUrl=url, MessageBody="late"))
    started = time.monotonic()
    timer.start()
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)["Messages"]
    elapsed = time.monotonic() - started
    timer.join()
    assert messages[0]["Body"] == "late"
    # It waited for the send, and woke on it rather than at the end of the 20 s wait
    # (half of that apart: no wall-clock bound a loaded machine could break).
    assert 0.25 < elapsed < 10.0
    started = time.monotonic()
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
    assert time.monotonic() - started >= 0.9  # an empty queue holds the poll its wait


def test_visibility_timeout_and_delays(sqs, name):
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert _count(sqs, url, "ApproximateNumberOfMessagesDelayed") == 1
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    first = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3)["Messages"][0]
    assert _count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 1
    # Invisible for the queue's 1 s, then back with a higher receive count.
    second = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=3, AttributeNames=["All"])
    message = second["Messages"][0]
    assert message["MessageId"] == first["MessageId"]
    assert message["Attributes"]["ApproximateReceiveCount"] == "2"
    assert message["ReceiptHandle"] != first["ReceiptHandle"]


def test_purge_queue_once_a_minute(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.purge_queue(QueueUrl=url)
    assert _count(sqs, url, "ApproximateNumberOfMessages") == 0
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as caught:
        sqs.purge_queue(QueueUrl=url)
    assert error(caught) == (
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.",
    )


# -- dead-letter queues ----------------------------------------------------------------


def test_redrive_policy_moves_messages_and_a_move_task_brings_them_back(sqs, name):
    dlq = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}-dlq"
    source = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": f'{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "2"}}',
        },
    )["QueueUrl"]
    sqs.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(2):  # received maxReceiveCount times...
        assert sqs.receive_message(QueueUrl=source)["Messages"]
    assert "Messages" not in sqs.receive_message(QueueUrl=source)  # ...then moved
    assert _count(sqs, dlq, "ApproximateNumberOfMessages") == 1
    moved = sqs.receive_message(
        QueueUrl=dlq, MessageSystemAttributeNames=["All"], VisibilityTimeout=0
    )
    assert moved["Messages"][0]["Attributes"]["DeadLetterQueueSourceArn"] == (
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"
    )
    sqs.start_message_move_task(SourceArn=dlq_arn)
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 1
    again = sqs.receive_message(QueueUrl=source, AttributeNames=["ApproximateReceiveCount"])
    assert again["Messages"][0]["Body"] == "poison"
    assert again["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "1"
    with pytest.raises(ClientError) as caught:
        sqs.start_message_move_task(SourceArn=f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}")
    assert "Dead Letter Queue" in error(caught)[1]


def test_redrive_allow_policy_is_enforced(sqs, name):
    dlq = sqs.create_queue(
        QueueName=f"{name}-dlq",
        Attributes={"RedriveAllowPolicy": '{"redrivePermission":"denyAll"}'},
    )["QueueUrl"]
    assert dlq
    with pytest.raises(ClientError) as caught:
        sqs.create_queue(
            QueueName=name,
            Attributes={
                "RedrivePolicy": f'{{"deadLetterTargetArn": "arn:aws:sqs:us-east-1:{ACCOUNT}:'
                f'{name}-dlq", "maxReceiveCount": 1}}'
            },
        )
    assert "RedriveAllowPolicy" in error(caught)[1]


# -- FIFO --------------------------------------------------------------------------------


def test_fifo_order_groups_and_deduplication(sqs, name):
    url = sqs.create_queue(
        QueueName=f"{name}.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "30"}
    )["QueueUrl"]
    sent = [
        sqs.send_message(
            QueueUrl=url, MessageBody=f"{g}{i}", MessageGroupId=g, MessageDeduplicationId=f"{g}{i}"
        )
        for i in range(3)
        for g in "ab"
    ]
    assert [int(s["SequenceNumber"]) for s in sent] == sorted(
        int(s["SequenceNumber"]) for s in sent
    )
    duplicate = sqs.send_message(
        QueueUrl=url, MessageBody="a0 again", MessageGroupId="a", MessageDeduplicationId="a0"
    )
    assert duplicate["MessageId"] == sent[0]["MessageId"]  # accepted, not enqueued twice
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="a")
    assert "ContentBasedDeduplication" in error(caught)[1]
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, AttributeNames=["All"])
    bodies = [m["Body"] for m in first["Messages"]]
    assert bodies == ["a0", "b0"]
    assert first["Messages"][0]["Attributes"]["MessageGroupId"] == "a"
    assert first["Messages"][0]["Attributes"]["MessageDeduplicationId"] == "a0"
    # Both groups have a message in flight: nothing more until one is deleted.
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["Messages"][0]["ReceiptHandle"])
    rest = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in rest] == ["a1", "a2"]
    with pytest.raises(ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="a", DelaySeconds=1)
    assert "not valid for this queue type" in error(caught)[1]


def test_fifo_content_based_deduplication(sqs):
    url = sqs.get_queue_url(QueueName="ordered.fifo")["QueueUrl"]
    body = f"same-{uuid.uuid4()}"
    one = sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    two = sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    assert one["MessageId"] == two["MessageId"]
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    dedup = received["Messages"][0]["Attributes"]["MessageDeduplicationId"]
    assert dedup == hashlib.sha256(body.encode()).hexdigest()


def test_binary_attribute_round_trip_is_base64_on_the_wire(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    payload = bytes(range(256))
    sqs.send_message(
        QueueUrl=url,
        MessageBody="b",
        MessageAttributes={"raw": {"DataType": "Binary.gz", "BinaryValue": payload}},
    )
    message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=[".*"])["Messages"][0]
    assert message["MessageAttributes"]["raw"]["BinaryValue"] == payload
    assert base64.b64encode(payload)  # botocore decoded the base64 the JSON carried


def _count(sqs, url: str, attribute: str) -> int:
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[attribute])["Attributes"]
    return int(values[attribute])


def test_a_hand_made_request_without_a_required_parameter(server):
    # botocore checks required parameters itself; other clients get AWS's MissingParameter.
    import json as _json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        server.url + "/",
        data=_json.dumps({"MessageBody": "x"}).encode(),
        headers={
            "X-Amz-Target": "AmazonSQS.SendMessage",
            "Authorization": sigv4("sqs"),
            "Content-Type": "application/x-amz-json-1.0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400
    assert caught.value.headers["x-amzn-query-error"] == "MissingParameter;Sender"
    assert _json.loads(caught.value.read()) == {
        "__type": "com.amazonaws.sqs#MissingParameter",
        "message": "The request must contain the parameter QueueUrl.",
    }
