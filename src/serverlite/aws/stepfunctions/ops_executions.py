"""Executions: Start / StartSync / Stop / Describe / List, their history, Redrive,
DescribeStateMachineForExecution."""

from __future__ import annotations

import json
import uuid
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.observe.tracing import current_header

from . import names
from .context import SfnContext, execution_input, page, required
from .executions import info_of
from .ops_machines import describe
from .runtime import ExecutionInfo
from .store import Execution

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE")
REDRIVE_DAYS = 14  # AWS redrives an execution within 14 days of its end


def _not_supported() -> AwsError:
    return AwsError(
        "StateMachineTypeNotSupported",
        "This operation is not supported by this type of state machine",
    )


def _execution(ctx: SfnContext, body: dict[str, Any]) -> Execution:
    arn = names.execution_arn(required(body, "executionArn"))
    found = ctx.db.execution(arn)
    if found is None:
        raise AwsError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
    return found


def _trace_header(body: dict[str, Any]) -> str:
    """The X-Ray trace an execution continues: the request's X-Amzn-Trace-Id (a traced
    caller's) before the body's traceHeader, as AWS prefers the header."""
    return current_header() or str(body.get("traceHeader") or "")


def start_execution(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    machine = ctx.machine(names.machine_arn(required(body, "stateMachineArn")))
    name = names.check_name(body.get("name") or str(uuid.uuid4()))
    text, value = execution_input(body)
    now = ctx.clock.now()
    trace = _trace_header(body)
    if machine.type == "EXPRESS":
        arn = ctx.arns.express(machine.name, name, str(uuid.uuid4()))
        info = ExecutionInfo(
            arn, name, machine.arn, machine.name, machine.role_arn, value, now, "EXPRESS",
            trace_header=trace,
        )  # fmt: skip
        ctx.executions.observed.started(info)
        ctx.executions.start_express(info, json.loads(machine.definition))
        return {"executionArn": arn, "startDate": now}
    arn = ctx.arns.execution(machine.name, name)
    existing = ctx.db.execution(arn)
    if existing is not None:
        # AWS: the same name and input while the execution runs is the same execution.
        if existing.status == "RUNNING" and existing.input == text:
            return {"executionArn": arn, "startDate": existing.started}
        raise AwsError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
    execution = Execution(
        arn,
        machine.arn,
        name,
        "STANDARD",
        "RUNNING",
        text,
        None,
        None,
        None,
        now,
        None,
        machine.definition,
        machine.role_arn,
        0,
        None,
        trace,
    )
    ctx.db.add_execution(execution)
    ctx.executions.observed.started(info_of(execution, machine.name))
    ctx.executions.start(execution, machine.name)
    return {"executionArn": arn, "startDate": now}


async def start_sync_execution(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    machine = ctx.machine(names.machine_arn(required(body, "stateMachineArn")))
    if machine.type != "EXPRESS":
        raise _not_supported()
    name = names.check_name(body.get("name") or str(uuid.uuid4()))
    text, value = execution_input(body)
    now = ctx.clock.now()
    arn = ctx.arns.express(machine.name, name, str(uuid.uuid4()))
    info = ExecutionInfo(
        arn, name, machine.arn, machine.name, machine.role_arn, value, now, "EXPRESS",
        trace_header=_trace_header(body),
    )  # fmt: skip
    ctx.executions.observed.started(info)
    outcome = await ctx.executions.run_express(info, json.loads(machine.definition))
    stopped = ctx.clock.now()
    out: dict[str, Any] = {
        "executionArn": arn,
        "stateMachineArn": machine.arn,
        "name": name,
        "startDate": now,
        "stopDate": stopped,
        "status": outcome.status,
        "input": text,
        "inputDetails": {"included": True},
        "billingDetails": {
            "billedMemoryUsedInMB": 64,
            "billedDurationInMilliseconds": max(100, int((stopped - now) * 1000)),
        },
    }
    if outcome.status == "SUCCEEDED":
        out["output"] = json.dumps(outcome.output, separators=(",", ":"))
        out["outputDetails"] = {"included": True}
    else:
        if outcome.error:
            out["error"] = outcome.error
        if outcome.cause:
            out["cause"] = outcome.cause
    return out


async def stop_execution(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    execution = _execution(ctx, body)
    if execution.status != "RUNNING":
        raise AwsError("ValidationException", f"Execution Already Finished: '{execution.arn}'")
    machine_name, _ = names.machine_of_execution(execution.arn)
    await ctx.executions.stop(
        execution, machine_name, str(body.get("error") or ""), str(body.get("cause") or "")
    )
    stopped = ctx.db.execution(execution.arn)
    return {"stopDate": stopped.stopped if stopped else ctx.clock.now()}


def _redrive_status(ctx: SfnContext, execution: Execution) -> tuple[str, str]:
    if execution.status == "RUNNING":
        return "NOT_REDRIVABLE", "Execution is RUNNING and cannot be redriven"
    if execution.status == "SUCCEEDED":
        return "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"
    if execution.stopped and ctx.clock.now() - execution.stopped > REDRIVE_DAYS * 86400:
        return "NOT_REDRIVABLE", "Execution can no longer be redriven"
    return "REDRIVABLE", ""


def describe_execution(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    execution = _execution(ctx, body)
    out: dict[str, Any] = {
        "executionArn": execution.arn,
        "stateMachineArn": execution.machine_arn,
        "name": execution.name,
        "status": execution.status,
        "startDate": execution.started,
        "input": execution.input,
        "inputDetails": {"included": True},
        "redriveCount": execution.redrive_count,
    }
    redrive, reason = _redrive_status(ctx, execution)
    out["redriveStatus"] = redrive
    if reason:
        out["redriveStatusReason"] = reason
    if execution.redrive_date is not None:
        out["redriveDate"] = execution.redrive_date
    if execution.stopped is not None:
        out["stopDate"] = execution.stopped
    if execution.output is not None:
        out["output"] = execution.output
        out["outputDetails"] = {"included": True}
    if execution.error:
        out["error"] = execution.error
    if execution.cause:
        out["cause"] = execution.cause
    if execution.trace_header:
        out["traceHeader"] = execution.trace_header
    return out


def describe_state_machine_for_execution(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    execution = _execution(ctx, body)
    machine = ctx.db.machine(execution.machine_arn)
    shaped = describe(machine) if machine else {}
    return {
        "stateMachineArn": execution.machine_arn,
        "name": names.machine_of_execution(execution.arn)[0],
        "definition": execution.definition,
        "roleArn": execution.role_arn,
        "updateDate": machine.updated if machine else execution.started,
        "loggingConfiguration": shaped.get(
            "loggingConfiguration", {"level": "OFF", "includeExecutionData": False}
        ),
        "tracingConfiguration": shaped.get("tracingConfiguration", {"enabled": False}),
        **({"revisionId": machine.revision} if machine else {}),
    }


def list_executions(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    arn = body.get("stateMachineArn")
    if arn is None and body.get("mapRunArn") is None:
        raise AwsError("ValidationException", "Must provide a StateMachine ARN or MapRun ARN")
    if arn is None:
        return {"executions": []}  # map runs' child executions are not listed (see docs)
    machine = ctx.machine(names.machine_arn(arn))
    if machine.type == "EXPRESS":
        raise _not_supported()
    status = body.get("statusFilter")
    if status is not None and status not in STATUSES:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{status}' at 'statusFilter' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{', '.join(STATUSES)}]",
        )
    listed = []
    for execution in ctx.db.executions(machine.arn, status, None):
        item: dict[str, Any] = {
            "executionArn": execution.arn,
            "stateMachineArn": execution.machine_arn,
            "name": execution.name,
            "status": execution.status,
            "startDate": execution.started,
            "redriveCount": execution.redrive_count,
        }
        if execution.stopped is not None:
            item["stopDate"] = execution.stopped
        if execution.redrive_date is not None:
            item["redriveDate"] = execution.redrive_date
        listed.append(item)
    chunk, token = page(body, listed)
    out: dict[str, Any] = {"executions": chunk}
    if token:
        out["nextToken"] = token
    return out


_DATA_FIELDS = ("input", "output", "inputDetails", "outputDetails")


def get_execution_history(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    execution = _execution(ctx, body)
    events = [event.shape() for event in ctx.db.history(execution.arn)]
    if body.get("reverseOrder"):
        events.reverse()
    if body.get("includeExecutionData") is False:
        for event in events:
            for value in event.values():
                if isinstance(value, dict):
                    for field in _DATA_FIELDS:
                        value.pop(field, None)
    chunk, token = page(body, events)
    out: dict[str, Any] = {"events": chunk}
    if token:
        out["nextToken"] = token
    return out


def redrive_execution(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    execution = _execution(ctx, body)
    status, reason = _redrive_status(ctx, execution)
    if status != "REDRIVABLE":
        raise AwsError("ExecutionNotRedrivable", f"Execution is not redrivable: {reason}")
    now = ctx.clock.now()
    ctx.db.redrive(execution.arn, now)
    machine_name, _ = names.machine_of_execution(execution.arn)
    refreshed = ctx.db.execution(execution.arn)
    assert refreshed is not None
    ctx.executions.redriven(refreshed, machine_name)
    return {"redriveDate": now}
