"""State machines: executions, and one execution's graph coloured by state with its history."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from serverlite.aws.backend import AwsError
from serverlite.console import live
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, pre, table, when
from serverlite.console.svg import state_graph


async def machines(ctx: ConsoleContext) -> str:
    if not ctx.has("stepfunctions"):
        return '<p class="muted">Step Functions is not running</p>'
    found = (await ctx.call("stepfunctions", "ListStateMachines", {})).get("stateMachines", [])
    sections = []
    for machine in found:
        executions = (
            await ctx.call(
                "stepfunctions",
                "ListExecutions",
                {"stateMachineArn": machine["stateMachineArn"], "maxResults": 50},
            )
        ).get("executions", [])
        rows = (
            (
                f'<a href="{esc(href("statemachines/execution"))}?arn={esc(e["executionArn"])}">'
                f"{esc(e['name'])}</a>",
                f'<span class="status">{esc(e["status"])}</span>',
                esc(when(_epoch(e.get("startDate")))),
                esc(when(_epoch(e.get("stopDate")))),
            )
            for e in executions
        )
        sections.append(
            f"<h2>{esc(machine['name'])} "
            f"<span class=muted>{esc(machine.get('type', ''))}</span></h2>"
            + table(("Execution", "Status", "Started", "Stopped"), rows, "no executions")
        )
    return "".join(sections) or '<p class="muted">no state machines</p>'


async def machines_page(ctx: ConsoleContext) -> str:
    return live.region("live/statemachines", live.block("machines", await machines(ctx)))


async def execution_page(ctx: ConsoleContext, arn: str) -> str:
    return live.region(
        f"live/statemachines/execution?arn={quote(arn, safe='')}",
        live.block("execution", await execution(ctx, arn)),
    )


def blocks(ctx: ConsoleContext) -> list[live.Block]:
    """The list's live block: each machine's executions and their status."""
    return [live.Block("machines", lambda: machines(ctx), 1.0)]


def execution_blocks(ctx: ConsoleContext, arn: str) -> list[live.Block]:
    """An execution's live block: its status, graph and history as it runs."""
    return [live.Block("execution", lambda: execution(ctx, arn), 1.0)]


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value.timestamp())
    except AttributeError:
        return None


async def execution(ctx: ConsoleContext, arn: str) -> str:
    try:
        desc = await ctx.call("stepfunctions", "DescribeExecution", {"executionArn": arn})
        machine = await ctx.call(
            "stepfunctions", "DescribeStateMachineForExecution", {"executionArn": arn}
        )
        history = (
            await ctx.call(
                "stepfunctions", "GetExecutionHistory", {"executionArn": arn, "maxResults": 1000}
            )
        ).get("events", [])
    except AwsError as exc:
        return f'<p class="err">{esc(exc.code)}: {esc(exc.message)}</p>'
    definition = json.loads(machine["definition"])
    order, edges = _layout(definition)
    status = _state_status(history, desc["status"])
    rows = (
        (
            esc(e["id"]),
            esc(e["type"]),
            esc(when(_epoch(e.get("timestamp")))),
            pre({k: v for k, v in e.items() if k.endswith("EventDetails")}),
        )
        for e in history
    )
    return (
        f'<p>Status <strong id="execution-status">{esc(desc["status"])}</strong></p>'
        f"<h2>Graph</h2>{state_graph(order, edges, status)}"
        f"<h2>Input</h2>{pre(desc.get('input', ''))}<h2>Output</h2>{pre(desc.get('output', ''))}"
        "<h2>History</h2>" + table(("Id", "Type", "Time", "Details"), rows)
    )


def _layout(definition: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """Top-level states in definition order, and their transitions (Next, Choices,
    Default, Catch); a Parallel or Map branch's inner states are not drawn."""
    states: dict[str, Any] = definition.get("States", {})
    order = list(states)
    edges = []
    for name, state in states.items():
        targets = [state.get("Next"), state.get("Default")]
        targets += [c.get("Next") for c in state.get("Choices", [])]
        targets += [c.get("Next") for c in state.get("Catch", [])]
        edges += [(name, t) for t in targets if isinstance(t, str)]
    return order, edges


def _state_status(history: list[dict[str, Any]], final: str) -> dict[str, str]:
    """What each state did, from StateEntered/StateExited events and the execution's end."""
    status: dict[str, str] = {}
    last = ""
    for event in history:
        entered = event.get("stateEnteredEventDetails")
        exited = event.get("stateExitedEventDetails")
        if entered:
            last = entered["name"]
            status[last] = "running"
        elif exited:
            status[exited["name"]] = "succeeded"
        elif event["type"].endswith("Failed") and last:
            status[last] = "failed"
    if final == "FAILED" and last:
        status[last] = "failed"
    return status
