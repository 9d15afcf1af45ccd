"""State machines: executions, and one execution's graph coloured by state with its history."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from serverlite.aws.backend import AwsError
from serverlite.console import live, state_graph
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, pre, table, when


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
    return await start_form(ctx) + live.region(
        "live/statemachines", live.block("machines", await machines(ctx))
    )


async def start_form(ctx: ConsoleContext) -> str:
    """StartExecution: a machine, an optional name, the input."""
    if not ctx.has("stepfunctions"):
        return ""
    found = (await ctx.call("stepfunctions", "ListStateMachines", {})).get("stateMachines", [])
    if not found:
        return ""
    options = "".join(
        f'<option value="{esc(m["stateMachineArn"])}">{esc(m["name"])}</option>' for m in found
    )
    return (
        f'<form hx-post="{esc(href("statemachines/start"))}" hx-target="#start-result">'
        f'<label>Start an execution of <select name="arn">{options}</select></label> '
        '<label>named <input name="name" size="30" placeholder="(a new UUID)"></label>'
        '<textarea name="input" rows="4">{}</textarea>'
        '<button type="submit">Start execution</button></form><div id="start-result"></div>'
    )


async def start(ctx: ConsoleContext, arn: str, name: str, given: str) -> str:
    params = {"stateMachineArn": arn, "input": given or "{}"}
    if name:
        params["name"] = name
    try:
        started = await ctx.call("stepfunctions", "StartExecution", params)
    except AwsError as exc:
        return f'<p class="err" id="start-answer">{esc(exc.code)}: {esc(exc.message)}</p>'
    execution_arn = started["executionArn"]
    return (
        f'<p class="ok" id="start-answer">started <a href="{esc(href("statemachines/execution"))}'
        f'?arn={esc(execution_arn)}">{esc(execution_arn.rsplit(":", 1)[-1])}</a></p>'
    )


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
    graph = state_graph.layout(json.loads(machine["definition"]))
    done = state_graph.status(history, desc["status"])
    drawn = state_graph.draw(graph, done, state_graph.entered_counts(history))
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
        f"<h2>Graph</h2>{drawn}{state_graph.legend()}"
        f"<h2>Input</h2>{pre(desc.get('input', ''))}<h2>Output</h2>{pre(desc.get('output', ''))}"
        "<h2>History</h2>" + table(("Id", "Type", "Time", "Details"), rows)
    )
