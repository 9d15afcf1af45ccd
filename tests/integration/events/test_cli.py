"""`serverlite put-event` against a running `serverlite up`, and without one."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.integration.conftest import refused_port
from tests.integration.events.conftest import marker

pytestmark = pytest.mark.integration


def put_event(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "serverlite.cli", "put-event", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_put_event_reaches_the_rule(server, markers):
    done = put_event(
        "--endpoint-url",
        server.url,
        "--source",
        "shop",
        "--detail-type",
        "OrderPlaced",
        "--detail",
        '{"total": 3}',
        "--bus",
        "orders",
    )
    assert done.returncode == 0, done.stderr
    event_id = done.stdout.strip()
    assert marker(markers, event_id)["detail"] == {"total": 3}


def test_put_event_explains_refusals(server):
    done = put_event("--endpoint-url", server.url, "--source", "aws.s3", "--detail-type", "x")
    assert done.returncode == 2
    assert "NotAuthorizedForSourceException" in done.stderr
    bad = put_event(
        "--endpoint-url", server.url, "--source", "a", "--detail-type", "x", "--detail", "[1]"
    )
    assert bad.returncode == 2
    assert "JSON object" in bad.stderr


def test_put_event_without_a_running_serverlite():
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}"
        done = put_event("--endpoint-url", url, "--source", "a", "--detail-type", "x")
    assert done.returncode == 2
    assert f"serverlite is not running at {url}" in done.stderr
    assert "serverlite up" in done.stderr
