"""Standard executions survive kill -9 of `serverlite up`: after a restart on the same
state directory each running execution goes on where its last transition left it; no
execution is lost, and no task whose start was recorded is started a second time."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import start_server, wait_for
from tests.integration.stepfunctions.conftest import (
    FN,
    TEMPLATE,
    finished,
    history,
    machine,
    sfn_client,
)

pytestmark = pytest.mark.integration


def _starts(markers: Path, marker: str) -> int:
    path = markers / f"{marker}.starts"
    return len(path.read_text().splitlines()) if path.exists() else 0


@pytest.mark.slow
def test_executions_resume_after_kill_9(tmp_path: Path) -> None:
    markers, state = tmp_path / "markers", tmp_path / "state"
    args = (
        "--parameter-overrides",
        f"MarkerDir={markers}",
        "--no-reload",
        "--time-scale",
        "10",
        "--port",
        "0",  # the fixture has an API (a state machine's Api event): any free port
    )
    server = start_server(TEMPLATE, state, *args)
    sfn = sfn_client(server)

    def slow(marker: str, seconds: float, **extra: Any) -> dict[str, Any]:
        return {
            "Type": "Task",
            "Resource": FN + "sfn-slow",
            "Parameters": {"id": marker, "sleep": seconds},
            "ResultPath": f"$.{marker}",
            **extra,
        }

    # A: killed while a task runs: it is not started again, the task fails
    # States.TaskFailed, which the Catch takes.
    in_task = machine(
        sfn,
        {
            "StartAt": "Before",
            "States": {
                "Before": {**slow("a-before", 0), "Next": "Long"},
                "Long": {
                    **slow("a-long", 30),
                    "Catch": [
                        {
                            "ErrorEquals": ["States.TaskFailed"],
                            "ResultPath": "$.lost",
                            "Next": "After",
                        }
                    ],
                    "Next": "After",
                },
                "After": {**slow("a-after", 0), "End": True},
            },
        },
    )
    # B: killed during a Wait (600 s at 10x = 60 s): the Wait keeps its end; the task
    # before it is not run again.
    in_wait = machine(
        sfn,
        {
            "StartAt": "Before",
            "States": {
                "Before": {**slow("b-before", 0), "Next": "Wait"},
                "Wait": {"Type": "Wait", "Seconds": 40, "Next": "After"},
                "After": {**slow("b-after", 0), "End": True},
            },
        },
    )
    a = sfn.start_execution(stateMachineArn=in_task, name="a")["executionArn"]
    b = sfn.start_execution(stateMachineArn=in_wait, name="b")["executionArn"]
    wait_for(lambda: _starts(markers, "a-long") == 1 and _starts(markers, "b-before") == 1, 20)
    wait_for(lambda: any(e["type"] == "WaitStateEntered" for e in history(sfn, b)), 10)
    server.stop(signal.SIGKILL)

    server = start_server(TEMPLATE, state, *args)
    try:
        sfn = sfn_client(server)
        done_a = finished(sfn, a, 30)
        assert done_a["status"] == "SUCCEEDED", done_a
        lost = json.loads(done_a["output"])["lost"]
        assert lost["Error"] == "States.TaskFailed"
        assert "start a task at most once" in lost["Cause"]
        assert _starts(markers, "a-long") == 1  # never started twice
        assert (_starts(markers, "a-before"), _starts(markers, "a-after")) == (1, 1)

        done_b = finished(sfn, b, 30)
        assert done_b["status"] == "SUCCEEDED", done_b
        assert (_starts(markers, "b-before"), _starts(markers, "b-after")) == (1, 1)
        for arn in (a, b):
            events = history(sfn, arn)
            assert [e["id"] for e in events] == list(range(1, len(events) + 1))
            assert [e["type"] for e in events].count("ExecutionStarted") == 1
    finally:
        server.stop()
