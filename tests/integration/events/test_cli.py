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


def test_put_event_injects_an_aws_service_event_with_a_warning(server, events, markers):
    done = put_event(
        "--endpoint-url",
        server.url,
        "--source",
        "aws.ec2",
        "--detail-type",
        "EC2 Instance State-change Notification",
        "--detail",
        '{"instance-id": "i-1", "state": "stopped"}',
    )
    assert done.returncode == 0, done.stderr
    assert "the AWS service itself" in done.stderr
    event = marker(markers, done.stdout.strip())
    assert (event["source"], event["detail"]["state"]) == ("aws.ec2", "stopped")
    # PutEvents itself still refuses an aws.* source, as AWS does.
    refused = events.put_events(Entries=[{"Source": "aws.ec2", "DetailType": "x", "Detail": "{}"}])[
        "Entries"
    ][0]
    assert refused["ErrorCode"] == "NotAuthorizedForSourceException"


def test_put_event_explains_refusals(server):
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
