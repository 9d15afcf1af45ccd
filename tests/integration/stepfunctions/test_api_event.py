"""A state machine's SAM ``Api`` event: the REST route SAM generates starts an
execution (an ``aws`` integration to StartExecution, the body as the input) and
answers StartExecution's response."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Server
from tests.integration.stepfunctions.conftest import finished, output

pytestmark = pytest.mark.integration
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:sfn-api-started"


def test_a_post_starts_an_execution_with_the_body_as_input(sfn: Any, server: Server) -> None:
    order = {"order": "o-1", "items": [{"sku": "a", "n": 2}], "note": "it's"}
    answer = httpx.post(f"{server.api_base()}/Prod/orders", json=order, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"executionArn", "startDate"}
    assert body["executionArn"].startswith(
        "arn:aws:states:us-east-1:123456789012:execution:sfn-api-started:"
    )
    assert isinstance(body["startDate"], float)
    described = finished(sfn, body["executionArn"])
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == order
    assert output(described) == order
    listed = sfn.list_executions(stateMachineArn=MACHINE)["executions"]
    assert body["executionArn"] in {e["executionArn"] for e in listed}
    assert "StartOrder (Api)" not in server.output()  # not named as not emulated


def test_a_body_that_is_not_json_is_refused_by_step_functions(server: Server) -> None:
    answer = httpx.post(
        f"{server.api_base()}/Prod/orders",
        content=b"not json",
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 400, answer.text
    assert answer.json()["__type"].endswith("#InvalidExecutionInput")


def test_only_the_event_s_method_is_routed(server: Server) -> None:
    answer = httpx.get(f"{server.api_base()}/Prod/orders", timeout=10)
    assert answer.status_code == 403  # REST: a method with no route is Missing Authentication
