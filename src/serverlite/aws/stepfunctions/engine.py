"""The interpreter: runs one execution's states, recording each transition.

``Run.run()`` walks the top-level frame from its ``StartAt`` (or from where the
journal says it was) to a terminal state; Parallel branches and Map iterations are
frames of their own (``engine_flow``), Task states call resources through the
``Connectors`` (``engine_task``). Every transition commits its history events and the
frame in one journal write, so a Standard execution resumes after a kill -9 at the
state it was in: a Wait waits until its original end, a retry until its original
time, a callback task keeps waiting for its token, and a task whose start was
recorded but whose result was not fails with ``States.TaskFailed`` rather than start
twice (Standard workflows start a task at most once; a Retry may start it again).

Time: ``clock()`` is serverlite's clock (a test's VirtualClock moves it); waits are
divided by ``time_scale``, as ``serverlite up --time-scale`` asks.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from . import engine_flow, engine_task
from .asl import choice, intrinsics, jsonata_eval, payload
from .asl.dialect import StateIo, error_output
from .asl.errors import DATA_LIMIT, NO_CHOICE, RUNTIME, StatesError, runtime
from .asl.retry import catcher_for, retry_delay
from .journal import Event, Frame, Journal
from .runtime import ExecutionInfo, Outcome, Services, iso

MAX_PAYLOAD = 256 * 1024  # bytes of a state's input or output (States.DataLimitExceeded)
ERROR_STATES = ("Task", "Parallel", "Map")  # the states with Retry and Catch


@dataclass
class Step:
    """What a state came to: the next state (None: the frame ends) and its output."""

    next: str | None
    output: Any
    assigned: dict[str, Any] = field(default_factory=dict)
    exited: bool = True  # a StateExited event (Fail has none)


class Run:
    def __init__(
        self,
        info: ExecutionInfo,
        definition: dict[str, Any],
        journal: Journal,
        services: Services,
    ) -> None:
        self.info = info
        self.definition = definition
        self.journal = journal
        self.services = services
        self._next_id = journal.last_event_id()

    # -- events ----------------------------------------------------------------------

    def event(self, frame: Frame | None, kind: str, details: dict[str, Any] | None = None) -> Event:
        self._next_id += 1
        previous = frame.last_event if frame is not None else self._next_id - 1
        made = Event(self._next_id, previous, kind, self.services.clock.now(), details or {})
        if frame is not None:
            frame.last_event = made.id
        return made

    def commit(self, events: list[Event], *frames: Frame) -> None:
        self.journal.commit(events, frames)

    # -- the execution -----------------------------------------------------------------

    async def run(self) -> Outcome:
        top = self.journal.frame("")
        if top is None:
            started = self.event(
                None,
                "ExecutionStarted",
                {
                    "executionStartedEventDetails": {
                        "input": payload.compact(self.info.input),
                        "inputDetails": {"truncated": False},
                        "roleArn": self.info.role_arn,
                    }
                },
            )
            self.commit([started])
            previous = started.id
        else:
            previous = top.last_event
        language = self.definition.get("QueryLanguage", "JSONPath")
        timeout = self.definition.get("TimeoutSeconds")
        try:
            work = self.run_frame("", self.definition, language, self.info.input, {}, previous)
            if isinstance(timeout, int | float):
                remaining = self.info.start_time + timeout / self.services.clock.scale
                output = await asyncio.wait_for(
                    work, timeout=max(0.0, remaining - self.services.clock.now())
                )
            else:
                output = await work
        except TimeoutError:
            cause = f"The execution timed out after {timeout} seconds"
            self.finish(Outcome("TIMED_OUT", error="States.Timeout", cause=cause))
            return Outcome("TIMED_OUT", error="States.Timeout", cause=cause)
        except StatesError as exc:
            outcome = Outcome("FAILED", error=exc.error, cause=exc.cause)
            self.finish(outcome)
            return outcome
        outcome = Outcome("SUCCEEDED", output=output)
        self.finish(outcome)
        return outcome

    def finish(self, outcome: Outcome) -> None:
        top = self.journal.frame("")
        kind, key = {
            "SUCCEEDED": ("ExecutionSucceeded", "executionSucceededEventDetails"),
            "FAILED": ("ExecutionFailed", "executionFailedEventDetails"),
            "TIMED_OUT": ("ExecutionTimedOut", "executionTimedOutEventDetails"),
            "ABORTED": ("ExecutionAborted", "executionAbortedEventDetails"),
        }[outcome.status]
        if outcome.status == "SUCCEEDED":
            details: dict[str, Any] = {
                "output": payload.compact(outcome.output),
                "outputDetails": {"truncated": False},
            }
        else:
            details = {}
            if outcome.error:
                details["error"] = outcome.error
            if outcome.cause:
                details["cause"] = outcome.cause
        self.commit([self.event(top, kind, {key: details})], *([top] if top else []))

    # -- a thread of states --------------------------------------------------------------

    async def run_frame(
        self,
        path: str,
        machine: dict[str, Any],
        language: str,
        state_input: Any,
        variables: dict[str, Any],
        previous: int,
    ) -> Any:
        frame = self.journal.frame(path)
        if frame is None:
            frame = Frame(path, machine["StartAt"], state_input, dict(variables))
            frame.last_event = previous
            self.commit([], frame)
        if frame.status == "succeeded":
            return frame.output
        if frame.status == "failed":
            raise StatesError(frame.error, frame.cause)
        states: dict[str, Any] = machine["States"]
        while True:
            state = states[frame.state]
            own = state.get("QueryLanguage", language)
            try:
                step = await self.run_state(frame, state, own)
            except StatesError as exc:
                frame.status, frame.error, frame.cause = "failed", exc.error, exc.cause
                self.commit([], frame)
                raise
            frame.variables.update(step.assigned)
            if step.next is None:
                frame.status, frame.output, frame.progress = "succeeded", step.output, {}
                self.commit([], frame)
                return step.output
            frame.state, frame.input, frame.progress = step.next, step.output, {}
            self.commit([], frame)

    def context(self, frame: Frame, **extra: Any) -> dict[str, Any]:
        progress = frame.progress
        made: dict[str, Any] = {
            "Execution": {
                "Id": self.info.arn,
                "Input": self.info.input,
                "Name": self.info.name,
                "RoleArn": self.info.role_arn,
                "StartTime": iso(self.info.start_time),
                "RedriveCount": self.info.redrive_count,
            },
            "StateMachine": {"Id": self.info.machine_arn, "Name": self.info.machine_name},
            "State": {
                "EnteredTime": iso(progress.get("entered_time", self.services.clock.now())),
                "Name": frame.state,
                "RetryCount": int(progress.get("attempt", 0)),
            },
        }
        made.update(extra)
        return made

    async def run_state(self, frame: Frame, state: dict[str, Any], language: str) -> Step:
        kind = state["Type"]
        progress = frame.progress
        if "entered" not in progress:
            self._check_size(frame.input, frame.state)
            entered = self.event(
                frame,
                f"{kind}StateEntered",
                {
                    "stateEnteredEventDetails": {
                        "name": frame.state,
                        "input": payload.compact(frame.input),
                        "inputDetails": {"truncated": False},
                    }
                },
            )
            progress["entered"] = entered.id
            progress["entered_time"] = entered.timestamp
            self.commit([entered], frame)
            self._transition()
        io = StateIo(state, language, frame.input, self.context(frame), frame.variables)
        try:
            step = await self._dispatch(kind, frame, state, io)
        except StatesError as exc:
            caught = self._catch(frame, state, language, exc)
            if caught is None:
                raise self._located(exc, frame) from exc
            step = caught
        if step.exited:
            self._check_size(step.output, frame.state)
            details: dict[str, Any] = {
                "name": frame.state,
                "output": payload.compact(step.output),
                "outputDetails": {"truncated": False},
            }
            if step.assigned:
                details["assignedVariables"] = {
                    name: payload.compact(value) for name, value in step.assigned.items()
                }
                details["assignedVariablesDetails"] = {"truncated": False}
            exited = self.event(frame, f"{kind}StateExited", {"stateExitedEventDetails": details})
            self.commit([exited], frame)
        return step

    def _transition(self) -> None:
        if self.services.observed is not None:
            self.services.observed.transition(self.info)

    def _located(self, exc: StatesError, frame: Frame) -> StatesError:
        """States.Runtime's cause names the state, as AWS's does."""
        if exc.error != RUNTIME or exc.cause.startswith("An error occurred while executing"):
            return exc
        entered = frame.progress.get("entered", 0)
        return runtime(
            f"An error occurred while executing the state '{frame.state}' (entered at the "
            f"event id #{entered}). {exc.cause}"
        )

    def _check_size(self, value: Any, state: str) -> None:
        size = len(payload.compact(value).encode())
        if size > MAX_PAYLOAD:
            raise StatesError(
                DATA_LIMIT,
                f"The state/task '{state}' returned a result with a size exceeding the maximum "
                f"number of bytes service limit.",
            )

    def _catch(
        self, frame: Frame, state: dict[str, Any], language: str, exc: StatesError
    ) -> Step | None:
        if state["Type"] not in ERROR_STATES:
            return None
        catcher = catcher_for(state.get("Catch") or [], exc.error)
        if catcher is None:
            return None
        output, assigned = error_output(
            catcher,
            language,
            frame.input,
            exc.error,
            exc.cause,
            self.context(frame),
            frame.variables,
        )
        return Step(str(catcher["Next"]), output, dict(assigned))

    async def _dispatch(self, kind: str, frame: Frame, state: dict[str, Any], io: StateIo) -> Step:
        if kind == "Pass":
            return self._pass(state, io)
        if kind == "Choice":
            return self._choice(state, io)
        if kind == "Wait":
            return await self._wait(frame, state, io)
        if kind == "Succeed":
            output, _ = io.output()
            return Step(None, output)
        if kind == "Fail":
            raise self._fail(state, io)

        async def attempt() -> Any:
            if kind == "Task":
                return await engine_task.run_task(self, frame, state, io)
            if kind == "Parallel":
                return await engine_flow.run_parallel(self, frame, state, io)
            return await engine_flow.run_map(self, frame, state, io)

        result = await self.with_retry(frame, state, attempt)
        output, assigned = io.output(result)
        return Step(_next(state), output, assigned)

    async def with_retry(self, frame: Frame, state: dict[str, Any], attempt: Any) -> Any:
        progress = frame.progress
        retriers = state.get("Retry") or []
        while True:
            if "retry_at" in progress:
                await self.services.clock.sleep_until(float(progress["retry_at"]))
            try:
                return await attempt()
            except StatesError as exc:
                counts = progress.setdefault("retries", [0] * len(retriers))
                decision = retry_delay(retriers, counts, exc.error)
                if decision is None:
                    raise
                index, delay = decision
                counts[index] += 1
                progress["attempt"] = int(progress.get("attempt", 0)) + 1
                progress["retry_at"] = self.services.clock.due(delay)
                self.commit([], frame)
                self._transition()  # AWS bills each retry as a state transition

    def _pass(self, state: dict[str, Any], io: StateIo) -> Step:
        if io.jsonata:
            output, assigned = io.output()
            return Step(_next(state), output, assigned)
        result = state["Result"] if "Result" in state else io.effective_input()
        output, assigned = io.output(result)
        return Step(_next(state), output, assigned)

    def _choice(self, state: dict[str, Any], io: StateIo) -> Step:
        if io.jsonata:
            for rule in state["Choices"]:
                condition = rule["Condition"]
                held = (
                    jsonata_eval.evaluate(condition, io.states(), io.variables)
                    if jsonata_eval.is_expression(condition)
                    else condition
                )
                if held is True:
                    return self._chosen(state, rule, io)
        else:
            scope = io.scope(io.selected_input())
            for rule in state["Choices"]:
                if choice.evaluate(rule, scope):
                    return self._chosen(state, rule, io)
        if "Default" not in state:
            raise StatesError(NO_CHOICE, "No Matches!")
        output, assigned = io.output()
        return Step(str(state["Default"]), output, assigned)

    def _chosen(self, state: dict[str, Any], rule: dict[str, Any], io: StateIo) -> Step:
        # JSONata rules may carry their own Assign and Output (used instead of the state's).
        own = dict(state)
        for name in ("Assign", "Output"):
            if name in rule:
                own[name] = rule[name]
        output, assigned = StateIo(
            own, io.language, io.raw_input, io.context, io.variables
        ).output()
        return Step(str(rule["Next"]), output, assigned)

    async def _wait(self, frame: Frame, state: dict[str, Any], io: StateIo) -> Step:
        progress = frame.progress
        if "wait_until" not in progress:
            progress["wait_until"] = self._wait_due(state, io)
            self.commit([], frame)
        await self.services.clock.sleep_until(float(progress["wait_until"]))
        output, assigned = io.output()
        return Step(_next(state), output, assigned)

    def _wait_due(self, state: dict[str, Any], io: StateIo) -> float:
        clock = self.services.clock
        if io.jsonata:
            seconds, stamp = io.value("Seconds"), io.value("Timestamp")
        else:
            scope = io.scope(io.selected_input())
            seconds = state.get("Seconds")
            stamp = state.get("Timestamp")
            if "SecondsPath" in state:
                seconds = payload.select(scope, state["SecondsPath"], "SecondsPath")
            if "TimestampPath" in state:
                stamp = payload.select(scope, state["TimestampPath"], "TimestampPath")
        if seconds is not None:
            if not choice.is_number(seconds) or seconds < 0:
                raise runtime(f"The value of Seconds must be a positive integer, got {seconds}")
            return clock.due(float(seconds))
        moment = choice.timestamp(stamp)
        if moment is None:
            raise runtime(f"The value of Timestamp must be an ISO-8601 timestamp, got {stamp}")
        return clock.due(moment.timestamp() - clock.now())

    def _fail(self, state: dict[str, Any], io: StateIo) -> StatesError:
        if io.jsonata:
            error, cause = io.value("Error"), io.value("Cause")
        else:
            scope = io.scope(io.raw_input)
            error, cause = state.get("Error"), state.get("Cause")
            for field in ("Error", "Cause"):
                path = state.get(f"{field}Path")
                if isinstance(path, str):
                    value = (
                        intrinsics.evaluate(path, scope.resolve)
                        if intrinsics.is_intrinsic(path)
                        else payload.select(scope, path, f"{field}Path")
                    )
                    if field == "Error":
                        error = value
                    else:
                        cause = value
        return StatesError(_text(error), _text(cause))


def _next(state: dict[str, Any]) -> str | None:
    return None if state.get("End") is True else str(state["Next"])


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)
