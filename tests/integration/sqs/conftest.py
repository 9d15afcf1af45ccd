"""One `serverlite up` on the SQS fixture template, shared by this package's tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.integration.conftest import FIXTURES, Server, start_server

TEMPLATE = FIXTURES / "sqs" / "template.yaml"


def sqs_client(server: Server) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, read_timeout=30),
    )


@pytest.fixture(scope="package")
def markers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqs-markers")


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, markers: Path) -> Iterator[Server]:
    running = start_server(
        TEMPLATE,
        tmp_path_factory.mktemp("sqs") / "state",
        "--parameter-overrides",
        f"MarkerDir={markers}",
        "--no-reload",
    )
    yield running
    running.stop()


@pytest.fixture
def sqs(server: Server) -> Any:
    return sqs_client(server)


def events(markers: Path, function: str) -> list[dict[str, Any]]:
    path = markers / f"{function}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def wait_for(check: Callable[[], Any], timeout: float = 10.0, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(every)
