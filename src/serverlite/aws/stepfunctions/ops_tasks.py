"""Task tokens (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat) and TestState."""

from __future__ import annotations

import json
from typing import Any

from serverlite.aws.backend import AwsError

from .asl import validate
from .asl.errors import StatesError
from .context import SfnContext, required
from .engine import Run
from .journal import MemoryJournal
from .runtime import Clock, ExecutionInfo, Services

MAX_OUTPUT = 256 * 1024


def _token(ctx: SfnContext, body: dict[str, Any]) -> str:
    token = required(body, "taskToken")
    if not isinstance(token, str) or not token or len(token) > 2048:
        raise AwsError("InvalidToken", "Invalid Token: 'Invalid token'")
    record = ctx.tokens.get(token)
    if record is None:
        raise AwsError("InvalidToken", "Invalid Token: 'Invalid token'")
    if record.status == "expired":
        raise AwsError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
    if record.status != "waiting":
        raise AwsError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
    execution = ctx.db.execution(record.execution)
    if execution is not None and execution.status != "RUNNING":
        raise AwsError("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist'")
    return token


def send_task_success(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    token = _token(ctx, body)
    text = required(body, "output")
    if not isinstance(text, str) or len(text.encode()) > MAX_OUTPUT:
        raise AwsError("InvalidOutput", "Invalid Output: 'the output is too large'")
    try:
        output = json.loads(text)
    except ValueError as exc:
        raise AwsError("InvalidOutput", f"Invalid Output: '{exc}'") from exc
    if not ctx.tokens.answer(token, status="succeeded", output=output):
        raise AwsError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
    return {}


def send_task_failure(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    token = _token(ctx, body)
    error, cause = str(body.get("error") or ""), str(body.get("cause") or "")
    if not ctx.tokens.answer(token, status="failed", error=error, cause=cause):
        raise AwsError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
    return {}


def send_task_heartbeat(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    token = _token(ctx, body)
    if not ctx.tokens.heartbeat(token):
        raise AwsError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
    return {}


async def test_state(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    """One state run on its own (TestState): its output and the state it would go to.

    The state runs in a one-state machine whose transition is cut: ``nextState`` names
    where it would have gone. A Task calls its resource as an execution would (no mock).
    """
    text = required(body, "definition")
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise AwsError("InvalidDefinition", f"Invalid State Machine Definition: '{exc}'") from exc
    if not isinstance(state, dict) or "Type" not in state:
        raise AwsError("InvalidDefinition", "Invalid State Machine Definition: 'a state'")
    name = str(body.get("stateName") or "TestState")
    end_state = dict(state)
    following = end_state.pop("Next", None)
    if state.get("Type") not in ("Choice", "Succeed", "Fail"):
        end_state["End"] = True
    states: dict[str, Any] = {name: end_state}
    machine: dict[str, Any] = {"StartAt": name, "States": states}
    if state.get("Type") == "Choice":
        targets = {r.get("Next") for r in state.get("Choices", [])} | {state.get("Default")}
        for target in targets - {None}:
            states[str(target)] = {"Type": "Succeed"}
    for catcher in state.get("Catch") or []:
        states.setdefault(str(catcher.get("Next")), {"Type": "Succeed"})
    try:
        validate.parse(json.dumps(machine))
    except validate.InvalidDefinition as exc:
        raise AwsError("InvalidDefinition", str(exc)) from exc
    try:
        value = json.loads(body.get("input") or "{}")
    except ValueError as exc:
        raise AwsError("InvalidExecutionInput", f"Invalid input: '{exc}'") from exc
    clock = ctx.clock
    info = ExecutionInfo(
        "arn:aws:states:"
        + ctx.arns.region
        + ":"
        + ctx.arns.account_id
        + ":execution:TestStateMachine:test-state",
        "test-state",
        ctx.arns.machine("TestStateMachine"),
        "TestStateMachine",
        str(body.get("roleArn") or ""),
        value,
        clock.now(),
    )
    services = Services(ctx.executions.connectors, ctx.tokens, Clock(clock.now, clock.scale))
    journal = MemoryJournal()
    run = Run(info, machine, journal, services)
    outcome = await run.run()
    out: dict[str, Any] = {"status": "SUCCEEDED" if outcome.status == "SUCCEEDED" else "FAILED"}
    if outcome.status == "SUCCEEDED":
        out["output"] = json.dumps(outcome.output, separators=(",", ":"))
        top = journal.frame("")
        visited = [e for e in journal.events() if e.type.endswith("StateEntered")]
        if len(visited) > 1:  # a Choice or a Catch went on to a stand-in
            out["nextState"] = visited[-1].details["stateEnteredEventDetails"]["name"]
            entered = visited[-1].details["stateEnteredEventDetails"]
            out["output"] = entered["input"]
        elif following is not None:
            out["nextState"] = following
        del top
    else:
        out["error"], out["cause"] = outcome.error, outcome.cause
    if body.get("inspectionLevel") in ("DEBUG", "TRACE"):
        out["inspectionData"] = {"input": json.dumps(value)}
    return out


__all__ = ["StatesError"]
