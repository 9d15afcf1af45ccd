"""SQS event source mappings under `serverlite up`: records, partial batch responses,
dead-letter queues, filters and FIFO order, seen from the functions' side."""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from tests.aws_samples import aws_sample
from tests.integration.conftest import wait_for
from tests.integration.sqs.conftest import events

pytestmark = pytest.mark.integration


def records(markers: Path, function: str) -> list[dict]:
    return [r for event in events(markers, function) for r in event["Records"]]


def test_records_are_shaped_like_aws_sample_event(sqs, markers):
    url = sqs.get_queue_url(QueueName="stream")["QueueUrl"]
    body = f"shape-{uuid.uuid4()}"
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageAttributes={"testAttr": {"DataType": "Number", "StringValue": "100"}},
    )
    found = wait_for(lambda: [r for r in records(markers, "Recorder") if r["body"] == body])
    (record,) = found
    sample = aws_sample("sqsEvent.json")["Records"][0]
    # The sample omits md5OfMessageAttributes; Lambda sends it (null without attributes).
    assert set(record) == set(sample) | {"md5OfMessageAttributes"}
    assert set(record["attributes"]) == set(sample["attributes"])
    assert record["messageId"] == sent["MessageId"]
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert record["messageAttributes"] == {
        "testAttr": {
            "stringValue": "100",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Number",
        }
    }
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:stream"
    assert record["awsRegion"] == "us-east-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    for key in ("SentTimestamp", "ApproximateFirstReceiveTimestamp"):
        assert record["attributes"][key].isdigit()
    # Delivered messages are deleted once the function succeeds.
    assert wait_for(lambda: _depth(sqs, url) == (0, 0))


def test_batches_hold_up_to_batch_size(sqs, markers):
    url = sqs.get_queue_url(QueueName="stream")["QueueUrl"]
    tag = uuid.uuid4().hex[:8]
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f"{tag}-{i}"} for i in range(start, start + 10)],
        )

    def mine() -> list[list[str]]:
        return [
            [r["body"] for r in e["Records"] if r["body"].startswith(tag)]
            for e in events(markers, "Recorder")
        ]

    assert wait_for(lambda: sum(len(b) for b in mine()) >= 30)
    sizes = [len(b) for b in mine() if b]
    assert max(sizes) <= 10
    assert sum(sizes) == 30


def test_partial_batch_failures_and_the_dead_letter_queue(sqs, markers):
    work = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="work-dlq")["QueueUrl"]
    ok, bad = f"ok-{uuid.uuid4()}", f"bad-{uuid.uuid4()}"
    sqs.send_message_batch(
        QueueUrl=work,
        Entries=[
            {"Id": "ok", "MessageBody": json.dumps({"id": ok})},
            {"Id": "bad", "MessageBody": json.dumps({"id": bad, "fail": True})},
        ],
    )

    def in_dlq() -> list[dict]:
        got = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return [m for m in got.get("Messages", []) if bad in m["Body"]]

    assert wait_for(in_dlq, timeout=15)
    seen: dict[str, list[str]] = defaultdict(list)
    for record in records(markers, "Partial"):
        seen[json.loads(record["body"])["id"]].append(
            record["attributes"]["ApproximateReceiveCount"]
        )
    # The successful message was deleted after its first delivery; the failed one came
    # back after the 1 s visibility timeout, and after maxReceiveCount (2) went to the DLQ.
    assert seen[ok] == ["1"]
    assert seen[bad] == ["1", "2"]


@pytest.mark.parametrize(
    "response",
    [
        {"batchItemFailures": [{"itemIdentifier": "not-in-this-batch"}]},
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        "a string is not a batch response",
    ],
)
def test_an_invalid_batch_response_fails_the_whole_batch(sqs, markers, response):
    work = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    marker = str(uuid.uuid4())
    sqs.send_message(QueueUrl=work, MessageBody=json.dumps({"id": marker, "respond": response}))

    def deliveries() -> list[str]:
        return [
            r["attributes"]["ApproximateReceiveCount"]
            for r in records(markers, "Partial")
            if marker in r["body"]
        ]

    assert wait_for(lambda: len(deliveries()) >= 2, timeout=10) and deliveries()[:2] == ["1", "2"]


def test_a_function_error_returns_the_batch_after_the_visibility_timeout(sqs, markers):
    work = sqs.get_queue_url(QueueName="work")["QueueUrl"]
    marker = str(uuid.uuid4())
    sqs.send_message(QueueUrl=work, MessageBody=json.dumps({"id": marker, "raise": True}))

    def deliveries() -> list[str]:
        return [
            r["attributes"]["ApproximateReceiveCount"]
            for r in records(markers, "Partial")
            if marker in r["body"]
        ]

    assert wait_for(lambda: len(deliveries()) >= 2, timeout=10)
    assert deliveries()[:2] == ["1", "2"]


def test_filter_criteria_deliver_matches_and_delete_the_rest(sqs, markers):
    url = sqs.get_queue_url(QueueName="filtered")["QueueUrl"]
    tag = uuid.uuid4().hex
    bodies = {
        "big": json.dumps({"kind": "order", "total": 150, "tag": tag}),
        "small": json.dumps({"kind": "order", "total": 50, "tag": tag}),
        "refund": json.dumps({"kind": "refund", "total": 500, "tag": tag}),
        "plain": f"plain text {tag}",
    }
    for key, body in bodies.items():
        attributes = {}
        if key == "plain":
            attributes = {"priority": {"DataType": "String", "StringValue": "high"}}
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
    assert wait_for(lambda: _depth(sqs, url) == (0, 0))  # non-matching ones are deleted too
    delivered = {r["body"] for r in records(markers, "Picky") if tag in r["body"]}
    assert delivered == {bodies["big"], bodies["plain"]}


def test_fifo_mapping_keeps_group_order(sqs, markers):
    url = sqs.get_queue_url(QueueName="groups.fifo")["QueueUrl"]
    tag = uuid.uuid4().hex[:6]
    for i in range(12):
        group = f"{tag}-g{i % 3}"
        sqs.send_message(QueueUrl=url, MessageBody=f"{group}:{i}", MessageGroupId=group)

    def delivered() -> list[tuple[str, int]]:
        out = []
        for record in records(markers, "GroupRecorder"):
            group, _, index = record["body"].partition(":")
            if group.startswith(tag):
                assert record["attributes"]["MessageGroupId"] == group
                out.append((group, int(index)))
        return out

    assert wait_for(lambda: len(delivered()) >= 12)
    by_group: dict[str, list[int]] = defaultdict(list)
    for group, index in delivered():
        by_group[group].append(index)
    assert by_group == {
        f"{tag}-g0": [0, 3, 6, 9],
        f"{tag}-g1": [1, 4, 7, 10],
        f"{tag}-g2": [2, 5, 8, 11],
    }
    assert all(len(e["Records"]) <= 3 for e in events(markers, "GroupRecorder"))  # BatchSize 3


def _depth(sqs, url: str) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    values = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(values[names[0]]), int(values[names[1]])


def test_a_throttled_function_leaves_the_batch_to_come_back(sqs, markers):
    # Reserved concurrency 0: every invoke is throttled. The batch returns after the
    # visibility timeout each time, so (as on AWS) it reaches the queue's DLQ.
    url = sqs.get_queue_url(QueueName="throttled")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="throttled-dlq")["QueueUrl"]
    body = f"throttled-{uuid.uuid4()}"
    sqs.send_message(QueueUrl=url, MessageBody=body)

    def in_dlq() -> list[dict]:
        got = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1, AttributeNames=["All"])
        return [m for m in got.get("Messages", []) if m["Body"] == body]

    (moved,) = wait_for(in_dlq, timeout=10)
    assert moved["Attributes"]["ApproximateReceiveCount"] == "2"  # 1 receive + this one
    assert events(markers, "Switched") == []


def test_a_batching_window_gathers_messages_sent_over_time(sqs, markers):
    url = sqs.get_queue_url(QueueName="windowed")["QueueUrl"]
    tag = uuid.uuid4().hex[:8]
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": str(i), "MessageBody": f"{tag}-{i}"} for i in range(start, start + 10)],
        )
        time.sleep(0.15)

    def batches() -> list[int]:
        return [
            n
            for n in (
                sum(r["body"].startswith(tag) for r in e["Records"])
                for e in events(markers, "Gatherer")
            )
            if n
        ]

    assert wait_for(lambda: sum(batches()) >= 30, timeout=5)
    assert batches() == [30]  # one invocation: the window outlasted the 0.3 s of sending
