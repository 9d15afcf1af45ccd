"""One `serverlite up` on the events fixture template (time 60x faster, so rate(1 minute)
fires every second and retries back off in milliseconds), shared by this package."""

from __future__ import annotations

import json
from collections.abc import Iterator
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

TEMPLATE = FIXTURES / "events" / "template.yaml"
TIME_SCALE = "60"


@pytest.fixture(scope="package")
def markers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("events-markers")


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, markers: Path) -> Iterator[Server]:
    running = start_with_markers(tmp_path_factory, TEMPLATE, markers, "--time-scale", TIME_SCALE)
    yield running
    running.stop()


@pytest.fixture
def events(server: Server) -> Any:
    return client(server, "events")


def marker(markers: Path, marker_id: str, timeout: float = 10.0) -> dict[str, Any]:
    """The event the marker function received for ``marker_id`` (waits for it)."""
    path = markers / f"{marker_id}.json"

    def read() -> dict[str, Any] | None:
        try:
            return dict(json.loads(path.read_text())["event"])
        except (OSError, ValueError):  # not there yet, or being written
            return None

    result: dict[str, Any] = wait_for(read, timeout)
    return result


def received(markers: Path) -> list[dict[str, Any]]:
    """Every event the marker functions have received so far."""
    found = []
    for path in markers.glob("*.json"):
        try:
            found.append(json.loads(path.read_text())["event"])
        except ValueError:  # being written
            continue
    return found
