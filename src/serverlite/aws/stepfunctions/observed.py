"""What Step Functions records about its executions: X-Ray traces (for a state machine
with ``TracingConfiguration.Enabled``) and the ``AWS/States`` execution metrics.

**Traces.** An execution continues the trace it was started in (the caller's
``X-Amzn-Trace-Id``, a traced function's call, or StartExecution's ``traceHeader``)
or starts one. It is one segment (origin ``AWS::StepFunctions::StateMachine``, named
by the state machine) with a subsegment per state entered (from the history's
StateEntered / StateExited events) and, inside a Task state's, a subsegment for the
integration called (``Lambda``, ``DynamoDB``, ``SQS``, ...). The integration gets the
trace header with that subsegment as parent: a Lambda task's invocation (its
``AWS::Lambda`` segment) and a nested execution hang under it, and an SQS, SNS or
EventBridge call passes it on as those services do. A state machine without tracing
records nothing and passes no header on.

**Metrics** (``AWS/States``, dimension ``StateMachineArn``): ExecutionsStarted,
ExecutionsSucceeded, ExecutionsFailed, ExecutionsAborted, ExecutionsTimedOut,
ExecutionsRedriven (Count) and ExecutionTime (Milliseconds); for each Task state,
LambdaFunctions* (a function ARN resource, by ``LambdaFunctionArn``) or
ServiceIntegrations* (by ``ServiceIntegrationResourceArn``): Scheduled, Started,
Succeeded, Failed, TimedOut, and the task's Time, RunTime and ScheduleTime. Not an AWS
metric: a Standard execution's state transitions, for ``serverlite cost``
(observe/billing.py).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from serverlite.observe import billing
from serverlite.observe.trace_header import TraceHeader, new_id, new_root, parse
from serverlite.observe.tracing import CURRENT, CallContext, Tracer

from .journal import Event
from .runtime import ExecutionInfo, Outcome

STATES = "AWS/States"
_OUTCOME_METRICS = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "ABORTED": "ExecutionsAborted",
    "TIMED_OUT": "ExecutionsTimedOut",
}
# X-Ray names an integration's subsegment by the service (as the console shows them).
_SERVICE_NAMES = {
    "lambda": "Lambda",
    "dynamodb": "DynamoDB",
    "sqs": "SQS",
    "sns": "SNS",
    "events": "EventBridge",
    "states": "StepFunctions",
    "s3": "S3",
    "secretsmanager": "SecretsManager",
    "ssm": "SSM",
    "kinesis": "Kinesis",
}


def tracing_enabled(extra: dict[str, Any]) -> bool:
    """TracingConfiguration as the API ({"enabled": true}) or SAM ({"Enabled": true})
    writes it."""
    config = extra.get("tracingConfiguration") or {}
    return bool(config.get("enabled") or config.get("Enabled"))


@dataclass
class TaskSpan:
    id: str
    state: str
    name: str
    operation: str
    start: float
    header: str
    end: float = 0.0
    error: str | None = None


@dataclass
class ExecutionTrace:
    """One execution's segment while it runs: the tasks' subsegments gather here."""

    tracer: Tracer
    header: TraceHeader  # root, the caller's segment as parent, sampled
    segment_id: str = field(default_factory=new_id)
    tasks: list[TaskSpan] = field(default_factory=list)

    def begin_task(self, state: str, service: str, action: str) -> TaskSpan:
        name = service.split(":", 1)[-1]
        span = TaskSpan(
            new_id(),
            state,
            _SERVICE_NAMES.get(name, name),
            action[:1].upper() + action[1:],
            self.tracer.now(),
            "",
        )
        span.header = TraceHeader(self.header.root, span.id, self.header.sampled).format()
        return span

    def end_task(self, span: TaskSpan, error: str | None) -> None:
        span.end = self.tracer.now()
        span.error = error
        self.tasks.append(span)

    @contextlib.contextmanager
    def passing_on(self, span: TaskSpan) -> Iterator[None]:
        """The task's header current while it calls a service, so SQS, SNS and
        EventBridge pass it on as they do for any traced caller."""
        header = parse(span.header)
        token = CURRENT.set(CallContext(self.tracer, header)) if header is not None else None
        try:
            yield
        finally:
            if token is not None:
                CURRENT.reset(token)

    def finish(self, info: ExecutionInfo, outcome: Outcome, events: Sequence[Event]) -> None:
        sink = self.tracer.sink
        if sink is None or self.header.sampled is False:
            return
        end = self.tracer.now()
        doc: dict[str, Any] = {
            "trace_id": self.header.root,
            "id": self.segment_id,
            "name": info.machine_name,
            "origin": "AWS::StepFunctions::StateMachine",
            "start_time": info.start_time,
            "end_time": max(end, info.start_time),
            "aws": {"execution_arn": info.arn, "state_machine_arn": info.machine_arn},
            "resource_arn": info.arn,
            "http": {"response": {"status": 200}},
            "subsegments": _states(events, self.tasks, end),
        }
        if self.header.parent:
            doc["parent_id"] = self.header.parent
        if outcome.status != "SUCCEEDED":
            doc["error"] = True
            doc["cause"] = {
                "exceptions": [
                    {
                        "id": new_id(),
                        "type": outcome.error or outcome.status,
                        "message": outcome.cause,
                    }
                ]
            }
        sink.put(doc)


def _states(events: Sequence[Event], tasks: list[TaskSpan], end: float) -> list[dict[str, Any]]:
    """A subsegment per state entered, its tasks' subsegments inside."""
    open_states: dict[str, list[dict[str, Any]]] = {}
    found: list[dict[str, Any]] = []
    for event in events:
        if event.type.endswith("StateEntered"):
            name = str(event.details.get("stateEnteredEventDetails", {}).get("name", ""))
            sub = {"id": new_id(), "name": name, "start_time": event.timestamp, "end_time": end}
            open_states.setdefault(name, []).append(sub)
            found.append(sub)
        elif event.type.endswith("StateExited"):
            name = str(event.details.get("stateExitedEventDetails", {}).get("name", ""))
            waiting = open_states.get(name)
            if waiting:
                waiting.pop(0)["end_time"] = event.timestamp
    for task in tasks:
        owner = next(
            (
                s
                for s in reversed(found)
                if s["name"] == task.state and s["start_time"] <= task.start + 1e-3
            ),
            None,
        )
        doc: dict[str, Any] = {
            "id": task.id,
            "name": task.name,
            "namespace": "aws",
            "start_time": task.start,
            "end_time": task.end,
            "aws": {"operation": task.operation},
        }
        if task.error is not None:
            doc["error"] = True
            doc["cause"] = {"exceptions": [{"id": new_id(), "type": task.error, "remote": True}]}
        if owner is not None:
            owner.setdefault("subsegments", []).append(doc)
    return found


def _task_metrics(resource: str, function: bool) -> tuple[str, tuple[Any, ...]]:
    if function:
        return "LambdaFunction", ((("LambdaFunctionArn", resource),),)
    return "ServiceIntegration", ((("ServiceIntegrationResourceArn", resource),),)


class ExecutionObserver:
    """The service's one recorder of traces and metrics (either may be off)."""

    def __init__(self, observer: Any, clock: Callable[[], float] = time.time) -> None:
        self.tracer: Tracer | None = getattr(observer, "tracer", None)
        publisher = getattr(observer, "publisher", None)
        self.publisher: Any = publisher if getattr(publisher, "enabled", False) else None
        self.publisher_clock = clock

    def trace(self, info: ExecutionInfo, extra: dict[str, Any]) -> ExecutionTrace | None:
        tracer = self.tracer
        if tracer is None or not tracer.enabled or not tracing_enabled(extra):
            return None
        incoming = parse(info.trace_header)
        if incoming is None:
            header = TraceHeader(new_root(tracer.now()), None, True)
        else:
            sampled = incoming.sampled if incoming.sampled is not None else True
            header = TraceHeader(incoming.root, incoming.parent, sampled)
        return ExecutionTrace(tracer, header)

    def _count(
        self, machine_arn: str, metric: str, value: float = 1.0, unit: str = "Count"
    ) -> None:
        if self.publisher is not None:
            self.publisher.record(
                STATES, metric, ((("StateMachineArn", machine_arn),),), value, unit
            )

    def task_started(self, resource: str, function: bool) -> None:
        """A Task state scheduled and started its resource (a Lambda function ARN: the
        LambdaFunction* metrics; a service integration: ServiceIntegration*)."""
        if self.publisher is None:
            return
        prefix, sets = _task_metrics(resource, function)
        for metric in ("Scheduled", "Started"):
            self.publisher.record(STATES, f"{prefix}s{metric}", sets, 1.0, "Count")

    def task_ended(self, resource: str, function: bool, outcome: str, started: float) -> None:
        """``outcome``: Succeeded, Failed or TimedOut; the task's times from its start
        (serverlite schedules a task the moment it starts: ScheduleTime is 0)."""
        if self.publisher is None:
            return
        prefix, sets = _task_metrics(resource, function)
        took = max(0.0, (self.publisher_clock() - started) * 1000)
        self.publisher.record(STATES, f"{prefix}s{outcome}", sets, 1.0, "Count")
        for metric, value in (("RunTime", took), ("ScheduleTime", 0.0), ("Time", took)):
            self.publisher.record(STATES, f"{prefix}{metric}", sets, value, "Milliseconds")

    def transition(self, info: ExecutionInfo) -> None:
        """A state entered or retried: Standard workflows bill each as a state
        transition (Express workflows bill requests and duration instead)."""
        if info.type == "STANDARD":
            billing.count(self.publisher, "stepfunctions_state_transitions", info.machine_arn, 1.0)

    def started(self, info: ExecutionInfo) -> None:
        self._count(info.machine_arn, "ExecutionsStarted")

    def redriven(self, machine_arn: str) -> None:
        self._count(machine_arn, "ExecutionsRedriven")

    def finished(
        self,
        info: ExecutionInfo,
        outcome: Outcome,
        end: float,
        trace: ExecutionTrace | None = None,
        events: Sequence[Event] = (),
    ) -> None:
        metric = _OUTCOME_METRICS.get(outcome.status)
        if metric is not None:
            self._count(info.machine_arn, metric)
        self._count(
            info.machine_arn,
            "ExecutionTime",
            max(0.0, (end - info.start_time) * 1000),
            "Milliseconds",
        )
        if trace is not None:
            trace.finish(info, outcome, events)
