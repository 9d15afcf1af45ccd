"""The Step Functions backend in-process (a real SQLite store, a stand-in invoker): a
reset forgets executions and keeps state machines; a journal left mid-task resumes as
a TaskFailed, never as a second start."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from serverlite.aws import registry, stepfunctions
from serverlite.aws.backend import ServiceContext
from serverlite.aws.stepfunctions.journal import Event, Frame
from serverlite.aws.stepfunctions.store import SqliteJournal
from serverlite.invoker.types import InvokeRequest, InvokeResult

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/r"
TASK = {
    "StartAt": "T",
    "States": {
        "T": {
            "Type": "Task",
            "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f",
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Lost"}],
            "End": True,
        },
        "Lost": {"Type": "Pass", "End": True},
    },
}


class Invoker:
    def __init__(self) -> None:
        self.calls: list[InvokeRequest] = []

    async def invoke(self, request: InvokeRequest) -> InvokeResult:
        self.calls.append(request)
        return InvokeResult(200, "r", b'{"ok": true}')


async def _call(built: Any, operation: str, **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = await built.aws.call("stepfunctions", operation, params)
    return result


def test_reset_forgets_executions_and_a_half_done_task_is_not_started_again(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        context = ServiceContext(tmp_path, "us-east-1", "123456789012", time.time)
        built = registry.build(context, (stepfunctions,))
        service: Any = built.backends[0]
        invoker = Invoker()
        try:
            machine = await _call(
                built, "CreateStateMachine", name="m", definition=json.dumps(TASK), roleArn=ROLE
            )
            arn = machine["stateMachineArn"]
            # Started while no `up` runs executions: stored RUNNING. Then its journal is
            # made to say the task had started (as a kill -9 mid-task leaves it).
            started = await _call(built, "StartExecution", stateMachineArn=arn, name="e")
            execution = started["executionArn"]
            journal = SqliteJournal(service.db, execution)
            frame = Frame("", "T", {}, {}, progress={"entered": 2, "task": {"attempt": 0}})
            journal.commit([Event(1, 0, "ExecutionStarted", time.time())], [frame])
            await service.start_event_sources(invoker)
            await service.executions.wait(execution)
            described = await _call(built, "DescribeExecution", executionArn=execution)
            assert described["status"] == "SUCCEEDED"
            assert json.loads(described["output"])["Error"] == "States.TaskFailed"
            assert invoker.calls == []  # the task was not started a second time

            again = await _call(built, "StartExecution", stateMachineArn=arn, name="f")
            await service.executions.wait(again["executionArn"])
            assert len(invoker.calls) == 1
            service.reset()
            listed = await _call(built, "ListExecutions", stateMachineArn=arn)
            assert listed["executions"] == []
            assert (await _call(built, "ListStateMachines"))["stateMachines"][0]["name"] == "m"
        finally:
            await service.stop_event_sources()
            service.close()

    asyncio.run(scenario())
