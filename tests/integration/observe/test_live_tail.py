"""StartLiveTail: boto3 reads the event stream (sessionStart, then a sessionUpdate a
second with the events ingested since), and ``serverlite aws logs start-live-tail``
prints them; a client that keeps botocore's ``stream-`` host prefix cannot reach a
loopback endpoint, which is why serverlite's docs and wrapper turn it off."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest
from botocore.config import Config

from serverlite.harness import AppHarness

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TEMPLATE = Path(__file__).resolve().parents[2] / "fixtures" / "log_subscriptions" / "template.yaml"
WAIT_S = 30.0
NO_PREFIX = Config(inject_host_prefix=False)


@pytest.fixture(scope="module")
def app() -> Iterator[AppHarness]:
    with AppHarness(TEMPLATE) as harness:
        logs = harness.aws("logs")
        logs.create_log_group(logGroupName="/live")
        for stream in ("web-1", "web-2", "batch"):
            logs.create_log_stream(logGroupName="/live", logStreamName=stream)
        yield harness


def _put(app: AppHarness, stream: str, *messages: str) -> None:
    now = int(time.time() * 1000)
    app.aws("logs").put_log_events(
        logGroupName="/live",
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)],
    )


def test_boto3_reads_the_live_tail_event_stream(app: AppHarness) -> None:
    logs = app.aws("logs", config=NO_PREFIX)
    _put(app, "web-1", "before the session")  # not sent: the session tails what comes after
    response = logs.start_live_tail(
        logGroupIdentifiers=["/live"],
        logStreamNamePrefixes=["web-"],
        logEventFilterPattern="ERROR",
    )
    stream = response["responseStream"]
    events = iter(stream)
    start = next(events)["sessionStart"]
    assert start["logGroupIdentifiers"] == ["/live"]
    assert start["logStreamNamePrefixes"] == ["web-"]
    assert start["logEventFilterPattern"] == "ERROR"
    assert start["sessionId"] and start["requestId"]
    _put(app, "web-1", "ERROR one", "INFO two")
    _put(app, "batch", "ERROR elsewhere")  # not a web- stream
    _put(app, "web-2", "ERROR three")
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + WAIT_S
    for event in events:
        update = event["sessionUpdate"]
        assert update["sessionMetadata"] == {"sampled": False}
        seen += update["sessionResults"]
        if len(seen) >= 2 or time.monotonic() > deadline:
            break
    stream.close()
    assert sorted(r["message"] for r in seen) == ["ERROR one", "ERROR three"]
    for result in seen:
        assert set(result) == {
            "logStreamName",
            "logGroupIdentifier",
            "message",
            "timestamp",
            "ingestionTime",
        }
        assert result["logGroupIdentifier"] == "/live"


def test_live_tail_refusals(app: AppHarness) -> None:
    logs = app.aws("logs", config=NO_PREFIX)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.start_live_tail(logGroupIdentifiers=["/nope"])
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_live_tail(
            logGroupIdentifiers=["/live"], logStreamNames=["a"], logStreamNamePrefixes=["b"]
        )
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.start_live_tail(logGroupIdentifiers=["/live"], logEventFilterPattern="{ $.x = }")


def test_botocore_s_host_prefix_does_not_reach_a_loopback_endpoint(app: AppHarness) -> None:
    """What docs/observability.md says: by default botocore sends StartLiveTail to
    stream-127.0.0.1, a name nothing resolves."""
    logs = app.aws("logs", config=Config(retries={"max_attempts": 1}))
    with pytest.raises(botocore.exceptions.EndpointConnectionError) as raised:
        logs.start_live_tail(logGroupIdentifiers=["/live"])
    assert "stream-127.0.0.1" in str(raised.value)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_serverlite_aws_logs_start_live_tail(app: AppHarness, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"SERVERLITE_STATE_DIR": str(tmp_path), "AWS_ENDPOINT_URL": app.endpoint_url}
    tail = subprocess.Popen(
        [sys.executable, "-m", "serverlite.cli", "aws", "logs", "start-live-tail",
         "--log-group-identifiers", "/live", "--log-event-filter-pattern", "tailme"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(tail.stdout or ()), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + WAIT_S
        while not any("tailme" in line for line in lines) and time.monotonic() < deadline:
            assert tail.poll() is None, tail.stderr.read() if tail.stderr else ""
            _put(app, "batch", "tailme please", "not this one")
            time.sleep(0.5)
    finally:
        os.killpg(tail.pid, signal.SIGINT)
        try:
            tail.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(tail.pid, signal.SIGKILL)
            tail.wait(timeout=30)
    reader.join(timeout=10)
    for pipe in (tail.stdout, tail.stderr):
        if pipe is not None:
            pipe.close()
    assert lines and all(line.strip() == "tailme please" for line in lines)
