"""Task states: one attempt of a task, its history events, timeouts and task tokens.

An attempt records ``TaskScheduled`` / ``TaskStarted`` (``LambdaFunctionScheduled`` /
``LambdaFunctionStarted`` for a plain function ARN) together with a marker in the
frame; the result is committed with ``TaskSucceeded``. Resumed after a kill -9, an
attempt that has its result returns it, one waiting for a task token waits on, and
one with neither fails with ``States.TaskFailed``: Standard workflows start a task at
most once, and only a Retry may start it again.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from .asl import payload, resources
from .asl.dialect import StateIo
from .asl.errors import HEARTBEAT_TIMEOUT, TASK_FAILED, TIMEOUT, StatesError, runtime
from .journal import Frame

if TYPE_CHECKING:
    from .runtime import ExecutionInfo
    from .runtime import Runner as Run

DEFAULT_TIMEOUT = 99999999  # seconds: AWS's default TimeoutSeconds for a task
RESUMED_CAUSE = (
    "serverlite stopped while this task was running and its result was not recorded. "
    "Standard workflows start a task at most once, so it was not started again."
)


@dataclass(frozen=True)
class TaskCall:
    resource: resources.Resource
    parameters: Any
    token: str | None
    execution: ExecutionInfo
    state: str
    timeout: float
    trace_header: str | None = None  # X-Ray: what the task passes on (a traced machine)


class Connectors(Protocol):
    async def run(self, call: TaskCall) -> Any:
        """The task's result; raises ``StatesError`` for the task's failure."""
        ...


def _names(resource: resources.Resource) -> tuple[str, str]:
    """(prefix, details key prefix) of this resource's events."""
    if resource.function:
        return "LambdaFunction", "lambdaFunction"
    return "Task", "task"


async def run_task(run: Run, frame: Frame, state: dict[str, Any], io: StateIo) -> Any:
    resource = resources.parse(str(state["Resource"]))
    progress = frame.progress
    attempt = int(progress.get("attempt", 0))
    recorded = progress.get("task")
    prefix, key = _names(resource)
    ids = {"resourceType": resource.resource_type, "resource": resource.resource_name}
    if isinstance(recorded, dict) and recorded.get("attempt") == attempt:
        if "result" in recorded:
            return recorded["result"]
        if "failed" in recorded:  # recorded before the kill: fail the same way again
            raise StatesError(recorded["failed"][0], recorded["failed"][1])
        waiting = str(recorded.get("token") or "")
        if not waiting:
            _fail(run, frame, resource, TASK_FAILED, RESUMED_CAUSE)
        resumed = _await_token(run, frame, state, waiting)
        return await _finish(run, frame, state, resource, resumed)
    token = secrets.token_urlsafe(96) if resource.pattern == "token" else None
    if token is not None:
        io.context["Task"] = {"Token": token}
    parameters = io.effective_input()
    timeout = _seconds(state, io, "TimeoutSeconds", DEFAULT_TIMEOUT)
    heartbeat = _seconds(state, io, "HeartbeatSeconds", 0)
    if heartbeat and heartbeat >= timeout and "TimeoutSeconds" in state:
        raise runtime("HeartbeatSeconds must be smaller than TimeoutSeconds")
    if resource.function:
        scheduled: dict[str, Any] = {
            "resource": resource.arn,
            "input": payload.compact(parameters),
            "inputDetails": {"truncated": False},
            "timeoutInSeconds": int(timeout),
        }
        started_details: dict[str, Any] = {}
    else:
        scheduled = {
            **ids,
            "region": run.services.region,
            "parameters": payload.compact(parameters),
            "timeoutInSeconds": int(timeout),
        }
        if heartbeat:
            scheduled["heartbeatInSeconds"] = int(heartbeat)
        started_details = {f"{key}StartedEventDetails": ids}
    events = [
        run.event(frame, f"{prefix}Scheduled", {f"{key}ScheduledEventDetails": scheduled}),
        run.event(frame, f"{prefix}Started", started_details),
    ]
    marker: dict[str, Any] = {"attempt": attempt, "heartbeat": heartbeat}
    if token is not None:
        marker["token"] = token
        run.services.tokens.register(token, run.info.arn, frame.path, run.services.clock.now())
    progress["task"] = marker
    progress["task_due"] = run.services.clock.due(timeout)
    run.commit(events, frame)
    call = TaskCall(resource, parameters, token, run.info, frame.state, timeout)
    work = _call_and_wait(run, frame, state, call)
    if run.services.observed is None:
        return await _finish(run, frame, state, resource, work)
    return await _observed(run, frame, state, resource, work)


async def _observed(
    run: Run, frame: Frame, state: dict[str, Any], resource: resources.Resource, work: Any
) -> Any:
    """The task run with AWS/States' LambdaFunction* / ServiceIntegration* metrics."""
    observed = run.services.observed
    started = run.services.clock.now()
    observed.task_started(resource.arn, resource.function)
    try:
        result = await _finish(run, frame, state, resource, work)
    except StatesError as exc:
        ended = "TimedOut" if exc.error in (TIMEOUT, HEARTBEAT_TIMEOUT) else "Failed"
        observed.task_ended(resource.arn, resource.function, ended, started)
        raise
    observed.task_ended(resource.arn, resource.function, "Succeeded", started)
    return result


async def _call_and_wait(run: Run, frame: Frame, state: dict[str, Any], call: TaskCall) -> Any:
    trace = run.services.trace
    if trace is None:
        result = await run.services.connectors.run(call)
    else:  # a traced machine: the integration's subsegment, its header passed on
        resource = call.resource
        action = "invoke" if resource.function else resource.action
        span = trace.begin_task(
            call.state, "lambda" if resource.function else resource.service, action
        )
        call = replace(call, trace_header=span.header)
        try:
            with trace.passing_on(span):
                result = await run.services.connectors.run(call)
        except StatesError as exc:
            trace.end_task(span, exc.error)
            raise
        trace.end_task(span, None)
    if call.token is None:
        return result
    return await _await_token(run, frame, state, call.token)


async def _await_token(run: Run, frame: Frame, state: dict[str, Any], token: str) -> Any:
    """The output SendTaskSuccess gave, or the error SendTaskFailure or a heartbeat
    timeout gave."""
    board = run.services.tokens
    heartbeat = float(frame.progress.get("task", {}).get("heartbeat", 0))
    clock = run.services.clock
    while True:
        record = board.get(token)
        if record is None:
            raise StatesError(TASK_FAILED, "The task token was lost")
        if record.status == "succeeded":
            return record.output
        if record.status == "failed":
            raise StatesError(record.error, record.cause)
        wait: float | None = None
        if heartbeat:
            beat_due = record.heartbeat_at + heartbeat / clock.scale
            if clock.now() >= beat_due:
                board.expire(token)
                raise StatesError(HEARTBEAT_TIMEOUT, "")
            wait = beat_due - clock.now()
        await board.wait(token, wait)


async def _finish(
    run: Run, frame: Frame, state: dict[str, Any], resource: resources.Resource, work: Any
) -> Any:
    prefix, key = _names(resource)
    due = float(frame.progress.get("task_due", 0)) or None
    try:
        if due is not None:
            remaining = max(0.0, due - run.services.clock.now())
            result = await asyncio.wait_for(work, timeout=remaining)
        else:
            result = await work
    except TimeoutError:
        token = frame.progress.get("task", {}).get("token")
        if token:
            run.services.tokens.expire(token)
        details = {"error": TIMEOUT, "cause": ""}
        if not resource.function:
            details = {"resourceType": resource.resource_type, "resource": resource.resource_name}
            details["error"] = TIMEOUT
        event = run.event(frame, f"{prefix}TimedOut", {f"{key}TimedOutEventDetails": details})
        frame.progress.setdefault("task", {})["failed"] = [TIMEOUT, ""]
        run.commit([event], frame)
        raise StatesError(TIMEOUT, "") from None
    except StatesError as exc:
        if exc.error == HEARTBEAT_TIMEOUT:
            details = {"error": exc.error}
            if not resource.function:
                details.update(resourceType=resource.resource_type, resource=resource.resource_name)
            event = run.event(frame, f"{prefix}TimedOut", {f"{key}TimedOutEventDetails": details})
            frame.progress.setdefault("task", {})["failed"] = [exc.error, exc.cause]
            run.commit([event], frame)
            raise
        _fail(run, frame, resource, exc.error, exc.cause)
    if not resource.function:
        succeeded: dict[str, Any] = {
            "resourceType": resource.resource_type,
            "resource": resource.resource_name,
        }
    else:
        succeeded = {}
    succeeded["output"] = payload.compact(result)
    succeeded["outputDetails"] = {"truncated": False}
    frame.progress.setdefault("task", {})["result"] = result
    event = run.event(frame, f"{prefix}Succeeded", {f"{key}SucceededEventDetails": succeeded})
    run.commit([event], frame)
    return result


def _fail(run: Run, frame: Frame, resource: resources.Resource, error: str, cause: str) -> None:
    prefix, key = _names(resource)
    details: dict[str, Any] = {"error": error, "cause": cause}
    if not resource.function:
        details = {
            "resourceType": resource.resource_type,
            "resource": resource.resource_name,
            **details,
        }
    event = run.event(frame, f"{prefix}Failed", {f"{key}FailedEventDetails": details})
    frame.progress.setdefault("task", {})["failed"] = [error, cause]
    run.commit([event], frame)
    raise StatesError(error, cause)


def _seconds(state: dict[str, Any], io: StateIo, field: str, default: float) -> float:
    if io.jsonata:
        value = io.value(field)
    elif f"{field}Path" in state:
        value = payload.select(io.scope(io.raw_input), state[f"{field}Path"], f"{field}Path")
    else:
        value = state.get(field)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise runtime(f"The value of {field} must be a positive integer, got {value}")
    return float(value)
