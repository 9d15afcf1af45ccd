"""State machines from the template: both resource types, definitions from files with
substitutions, and the SAM events (EventBridgeRule, Schedule) that start executions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Server, aws_client, cli, wait_for
from tests.integration.stepfunctions.conftest import finished, output

pytestmark = pytest.mark.integration
PREFIX = "arn:aws:states:us-east-1:123456789012:stateMachine:"


def test_template_machines_exist_with_their_definitions(sfn: Any, server: Server) -> None:
    names = {m["name"]: m for m in sfn.list_state_machines()["stateMachines"]}
    assert {"sfn-greeter", "sfn-plain"} <= set(names)
    assert names["sfn-plain"]["stateMachineArn"] == PREFIX + "sfn-plain"
    greeter = json.loads(
        sfn.describe_state_machine(stateMachineArn=PREFIX + "sfn-greeter")["definition"]
    )
    assert greeter["States"]["Greet"]["Resource"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:sfn-echo"
    )
    assert greeter["States"]["Greet"]["Parameters"]["greeting"] == "hello"
    plain = sfn.start_execution(stateMachineArn=PREFIX + "sfn-plain")
    assert output(finished(sfn, plain["executionArn"])) == "plain"
    assert "state machine" in server.output() and "sfn-greeter" in server.output()


def test_an_eventbridge_rule_starts_the_state_machine(sfn: Any, server: Server) -> None:
    events = aws_client(server, "events")
    events.put_events(
        Entries=[
            {"Source": "sfn.tests", "DetailType": "greet", "Detail": json.dumps({"who": "ann"})}
        ]
    )

    def succeeded() -> list[dict[str, Any]]:
        found = sfn.list_executions(
            stateMachineArn=PREFIX + "sfn-greeter", statusFilter="SUCCEEDED"
        )
        return list(found["executions"])

    execution = wait_for(succeeded, 15)[0]
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert output(described) == {"echo": {"greeting": "hello", "who": "ann"}}


def test_a_schedule_event_starts_an_express_machine(markers: Path) -> None:
    wait_for((markers / "ticker.starts").exists, 20)


def test_the_executions_command_lists_and_shows_a_timeline(sfn: Any, server: Server) -> None:
    started = sfn.start_execution(stateMachineArn=PREFIX + "sfn-plain", name="cli-shown")
    finished(sfn, started["executionArn"])
    listed = cli("executions", "--endpoint-url", server.url, "--machine", "sfn-plain")
    assert listed.returncode == 0, listed.stderr
    assert "cli-shown" in listed.stdout and "SUCCEEDED" in listed.stdout
    shown = cli("executions", "cli-shown", "--endpoint-url", server.url)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"{started['executionArn']}  SUCCEEDED"
    assert "#1    ExecutionStarted" in lines[1]
    assert "PassStateEntered  P" in lines[2]
    assert lines[-1].split()[2] == "ExecutionSucceeded"
    missing = cli("executions", "no-such-run", "--endpoint-url", server.url)
    assert missing.returncode != 0 and "no execution is named" in missing.stderr
