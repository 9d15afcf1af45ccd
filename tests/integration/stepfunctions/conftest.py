"""One `serverlite up` on the Step Functions fixture (time 100x faster: a Wait of 5 s and
retries' back-off pass in milliseconds), shared by this package."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import FIXTURES, Server, start_with_markers, wait_for
from tests.integration.conftest import aws_client as client

TEMPLATE = FIXTURES / "stepfunctions" / "template.yaml"
ROLE = "arn:aws:iam::123456789012:role/sfn"
FN = "arn:aws:lambda:us-east-1:123456789012:function:"


@pytest.fixture(scope="package")
def markers(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sfn-markers")


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory, markers: Path) -> Iterator[Server]:
    running = start_with_markers(
        tmp_path_factory, TEMPLATE, markers, "--time-scale", "100", "--port", "0"
    )
    yield running
    running.stop()


@pytest.fixture
def sfn(server: Server) -> Any:
    return sfn_client(server)


def sfn_client(server: Server) -> Any:
    """StartSyncExecution and TestState have the endpoint host prefix "sync-": a local
    endpoint needs it off (functions under serverlite have it off by environment)."""
    made = client(server, "stepfunctions")
    made.meta.config.inject_host_prefix = False
    return made


def machine(sfn: Any, definition: dict[str, Any], kind: str = "STANDARD") -> str:
    arn: str = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:12]}",
        definition=json.dumps(definition),
        roleArn=ROLE,
        type=kind,
    )["stateMachineArn"]
    return arn


def finished(sfn: Any, execution_arn: str, timeout: float = 20.0) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING."""

    def done() -> dict[str, Any] | None:
        found: dict[str, Any] = sfn.describe_execution(executionArn=execution_arn)
        return found if found["status"] != "RUNNING" else None

    result: dict[str, Any] = wait_for(done, timeout, every=0.05)
    return result


def run(sfn: Any, definition: dict[str, Any], value: Any = None) -> dict[str, Any]:
    """Create a machine, start one execution with ``value`` and wait for its end."""
    arn = machine(sfn, definition)
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(value or {}))
    return finished(sfn, started["executionArn"])


def output(described: dict[str, Any]) -> Any:
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = sfn.get_execution_history(
        executionArn=execution_arn, maxResults=1000
    )["events"]
    return events
