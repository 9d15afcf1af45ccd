"""Task tokens (SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat) and TestState."""

from __future__ import annotations

import json
from typing import Any

from serverlite.aws.backend import AwsError

from .asl import retry, validate
from .asl.dialect import error_output
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

    The state runs once, without its Retry and Catch, in a one-state machine whose
    transition is cut. A failure a retrier would retry is ``RETRIABLE``; one a catcher
    takes is ``CAUGHT_ERROR`` with the catcher's output and ``nextState`` (as AWS
    answers: TestState runs no retries). A Task calls its resource as an execution
    would (no mock).
    """
    state = _test_definition(required(body, "definition"))
    name = str(body.get("stateName") or "TestState")
    bare = {k: v for k, v in state.items() if k not in ("Retry", "Catch", "Next")}
    if state.get("Type") not in ("Choice", "Succeed", "Fail"):
        bare["End"] = True
    states: dict[str, Any] = {name: bare}
    if state.get("Type") == "Choice":
        targets = {r.get("Next") for r in state.get("Choices", [])} | {state.get("Default")}
        for target in targets - {None}:
            states[str(target)] = {"Type": "Succeed"}
    machine: dict[str, Any] = {"StartAt": name, "States": states}
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
        f"{ctx.arns.prefix}execution:TestStateMachine:test-state",
        "test-state",
        ctx.arns.machine("TestStateMachine"),
        "TestStateMachine",
        str(body.get("roleArn") or ""),
        value,
        clock.now(),
    )
    services = Services(ctx.executions.connectors, ctx.tokens, Clock(clock.now, clock.scale))
    journal = MemoryJournal()
    outcome = await Run(info, machine, journal, services).run()
    out: dict[str, Any] = {}
    if outcome.status == "SUCCEEDED":
        out.update(status="SUCCEEDED", output=_compact(outcome.output))
        visited = [e for e in journal.events() if e.type.endswith("StateEntered")]
        if len(visited) > 1:  # a Choice went on to a stand-in
            entered = visited[-1].details["stateEnteredEventDetails"]
            out.update(nextState=entered["name"], output=entered["input"])
        elif "Next" in state:
            out["nextState"] = state["Next"]
    else:
        out.update(_failed(state, outcome.error, outcome.cause, value, info))
    if body.get("inspectionLevel") in ("DEBUG", "TRACE"):
        out["inspectionData"] = {"input": json.dumps(value)}
    return out


def _test_definition(text: Any) -> dict[str, Any]:
    try:
        state = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise AwsError("InvalidDefinition", f"Invalid State Machine Definition: '{exc}'") from exc
    if not isinstance(state, dict) or "Type" not in state:
        raise AwsError(
            "InvalidDefinition", "Invalid State Machine Definition: 'the definition of a state'"
        )
    return state


def _failed(
    state: dict[str, Any], error: str, cause: str, value: Any, info: ExecutionInfo
) -> dict[str, Any]:
    failed: dict[str, Any] = {"status": "FAILED", "error": error, "cause": cause}
    if retry.retry_delay(state.get("Retry") or [], [], error) is not None:
        failed["status"] = "RETRIABLE"
        return failed
    catcher = retry.catcher_for(state.get("Catch") or [], error)
    if catcher is not None:
        language = state.get("QueryLanguage", "JSONPath")
        context = {"Execution": {"Id": info.arn, "Input": value, "Name": info.name}}
        output, _ = error_output(catcher, language, value, error, cause, context, {})
        failed.update(status="CAUGHT_ERROR", nextState=catcher["Next"], output=_compact(output))
    return failed


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


__all__ = ["StatesError"]
