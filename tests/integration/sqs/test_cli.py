"""`serverlite queues`, `serverlite send` and `serverlite redrive` against a running up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest

from tests.integration.conftest import refused_port, wait_for

pytestmark = pytest.mark.integration


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "serverlite.cli", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
    )


def test_send_queues_and_redrive(sqs, server):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    dlq_arn = f"arn:aws:sqs:us-east-1:123456789012:{name}-dlq"
    sqs.create_queue(QueueName=f"{name}-dlq")
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}),
        },
    )["QueueUrl"]
    sent = cli(
        "send", name, "hello", "--attr", "k=v", "--attr", "n:Number=3", "--endpoint-url", server.url
    )
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.startswith("sent ")
    message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert message["Body"] == "hello"
    assert message["MessageAttributes"]["n"] == {"StringValue": "3", "DataType": "Number"}
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # moved to the DLQ

    listed = cli("queues", "--endpoint-url", server.url)
    assert listed.returncode == 0, listed.stderr
    rows = [[cell.strip() for cell in line.split("│")] for line in listed.stdout.splitlines()]
    row = next(row for row in rows if row[0] == name)
    assert row == [name, "0", "0", "0", f"{name}-dlq", "1"]  # visible, in flight, delayed, DLQ

    redriven = cli("redrive", f"{name}-dlq", "--endpoint-url", server.url)
    assert redriven.returncode == 0, redriven.stderr
    assert "moved 1 of 1" in redriven.stdout
    assert wait_for(lambda: sqs.receive_message(QueueUrl=url).get("Messages"))


def test_fifo_send_and_errors(sqs, server):
    sent = cli(
        "send", "ordered.fifo", f"b-{uuid.uuid4()}", "--group-id", "g", "--endpoint-url", server.url
    )
    assert sent.returncode == 0, sent.stderr
    assert "sequence" in sent.stdout
    missing = cli("send", "no-such-queue", "x", "--endpoint-url", server.url)
    assert missing.returncode != 0
    assert "QueueDoesNotExist" in missing.stderr


def test_commands_say_when_serverlite_is_not_running():
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}"
        for args in (("queues",), ("send", "q", "body"), ("redrive", "dlq")):
            result = cli(*args, "--endpoint-url", url)
            assert result.returncode != 0
            assert f"serverlite is not running at {url}" in result.stderr
