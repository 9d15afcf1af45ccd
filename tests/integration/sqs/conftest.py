"""One `serverlite up` on the SQS fixture template, shared by this package's tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import FIXTURES, Server, aws_client, start_with_markers

TEMPLATE = FIXTURES / "sqs" / "template.yaml"


def sqs_client(server: Server) -> Any:
    return aws_client(server, "sqs")


@pytest.fixture(scope="package")
def markers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqs-markers")


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, markers: Path) -> Iterator[Server]:
    running = start_with_markers(tmp_path_factory, TEMPLATE, markers)
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
