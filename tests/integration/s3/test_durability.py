"""`serverlite up` killed with SIGKILL while objects are written: every acknowledged PUT
is readable, whole, after a restart, its notification is delivered (committed with the
object, sent after the restart if the kill came first), and an upload cut short leaves
nothing visible."""

from __future__ import annotations

import hashlib
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import aws_client, start_server

from .conftest import client

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Files:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: kill-nine
      NotificationConfiguration:
        QueueConfigurations:
          - Event: s3:ObjectCreated:*
            Queue: !GetAtt Created.Arn
  Created:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: kill-nine-created
"""


def content(key: str, size: int) -> bytes:
    seed = hashlib.sha256(key.encode()).digest()
    return (seed * (size // len(seed) + 1))[:size]


def test_acknowledged_puts_survive_kill_9_and_partial_ones_never_show(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    state = tmp_path / "state"
    server = start_server(template, state, "--port", "0", "--no-reload")
    acknowledged: dict[str, int] = {}
    stop = threading.Event()
    try:

        def writer(worker: int) -> None:
            s3w = client(server.url)
            for n in range(10_000):
                if stop.is_set():
                    return
                key, size = f"w{worker}/{n}", [1024, 300_000, 2_000_000][n % 3]
                try:
                    s3w.put_object(Bucket="kill-nine", Key=key, Body=content(key, size))
                except Exception:
                    return  # the server died under this request: not acknowledged
                acknowledged[key] = size

        def endless() -> Iterator[bytes]:  # an upload still arriving when the kill comes
            chunk = content("partial", 64 * 1024)
            while not stop.is_set():
                yield chunk
                time.sleep(0.001)

        def partial() -> None:
            import http.client

            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
            try:
                conn.request(
                    "PUT",
                    "/kill-nine/partial",
                    body=endless(),
                    headers={
                        "Authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/"
                        "s3/aws4_request, SignedHeaders=host, Signature=0",
                        "Content-Length": str(1024**3),
                    },
                )
            except OSError:
                pass
            finally:
                conn.close()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
        threads.append(threading.Thread(target=partial))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        tmp = state / "s3" / "tmp"
        while time.monotonic() < deadline and (len(acknowledged) < 40 or not any(tmp.iterdir())):
            time.sleep(0.05)
        server.stop(signal.SIGKILL)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        stop.set()
        server.stop(signal.SIGKILL)
    assert len(acknowledged) >= 40
    leftovers = list((state / "s3" / "tmp").iterdir())
    assert leftovers, "the kill should have caught an upload in flight"

    again = start_server(template, state, "--port", "0", "--no-reload")
    try:
        s3 = client(again.url)
        for key, size in acknowledged.items():
            body = s3.get_object(Bucket="kill-nine", Key=key)["Body"].read()
            assert body == content(key, size), key
        listed = {
            o["Key"]: o["Size"]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket="kill-nine")
            for o in page.get("Contents", [])
        }
        for key, size in listed.items():  # whatever shows is whole (acknowledged or not)
            assert size == [1024, 300_000, 2_000_000][int(key.split("/")[1]) % 3], key
            body = s3.get_object(Bucket="kill-nine", Key=key)["Body"].read()
            assert hashlib.md5(body).digest() == hashlib.md5(content(key, size)).digest()
        with pytest.raises(ClientError):
            s3.head_object(Bucket="kill-nine", Key="partial")
        assert list((state / "s3" / "tmp").iterdir()) == []  # swept at start
        sqs = aws_client(again, "sqs")
        url = sqs.get_queue_url(QueueName="kill-nine-created")["QueueUrl"]
        notified: set[str] = set()
        deadline = time.monotonic() + 60
        while not set(acknowledged) <= notified and time.monotonic() < deadline:
            for message in sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", []):
                body = json.loads(message["Body"])
                notified |= {r["s3"]["object"]["key"] for r in body.get("Records", [])}
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert set(acknowledged) <= notified  # at least once, none lost to the kill
    finally:
        again.stop()
