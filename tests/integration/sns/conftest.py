"""One `serverlite up` on the SNS fixture template (time 100x faster, so HTTP's
20-second retry delay passes in 0.2 s), an HTTP subscriber on 127.0.0.1, helpers."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import (
    FIXTURES,
    Server,
    start_with_markers,
    wait_for,
)
from tests.integration.conftest import aws_client as client

TEMPLATE = FIXTURES / "sns" / "template.yaml"
TIME_SCALE = "100"
ACCOUNT = "123456789012"


def topic_arn(name: str) -> str:
    return f"arn:aws:sns:us-east-1:{ACCOUNT}:{name}"


def queue_arn(name: str) -> str:
    return f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


@pytest.fixture(scope="package")
def markers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sns-markers")


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, markers: Path) -> Iterator[Server]:
    running = start_with_markers(tmp_path_factory, TEMPLATE, markers, "--time-scale", TIME_SCALE)
    yield running
    running.stop()


@pytest.fixture
def sns(server: Server) -> Any:
    return client(server, "sns")


@pytest.fixture
def sqs(server: Server) -> Any:
    return client(server, "sqs")


def marker(markers: Path, name: str, timeout: float = 10.0) -> dict[str, Any]:
    """The event a subscriber function wrote to ``<name>.json`` (waits for it)."""
    path = markers / f"{name}.json"

    def read() -> dict[str, Any] | None:
        try:
            return dict(json.loads(path.read_text())["event"])
        except (OSError, ValueError):
            return None

    found: dict[str, Any] = wait_for(read, timeout)
    return found


def receive(sqs: Any, url: str, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """At least ``count`` messages from a queue (deleted as they are read)."""
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        )
        for message in answer.get("Messages", []):
            got.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(got) >= count, f"{len(got)} of {count} messages arrived"
    return got


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class HttpSubscriber:
    """An HTTP endpoint on 127.0.0.1: records each POST, answers with the queued
    statuses (then 200)."""

    url: str
    requests: queue.Queue[Received] = field(default_factory=queue.Queue)
    statuses: list[int] = field(default_factory=list)

    def next(self, timeout: float = 10.0) -> Received:
        return self.requests.get(timeout=timeout)


@pytest.fixture
def http_subscriber() -> Iterator[HttpSubscriber]:
    subscriber: HttpSubscriber

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode()
            status = subscriber.statuses.pop(0) if subscriber.statuses else 200
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()
            headers = {k.lower(): v for k, v in self.headers.items()}
            subscriber.requests.put(Received(self.path, headers, body))

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    subscriber = HttpSubscriber(f"http://127.0.0.1:{httpd.server_address[1]}/hook")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield subscriber
    httpd.shutdown()
    httpd.server_close()
