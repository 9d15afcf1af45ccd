"""Functions: configuration, recent invocations (from their REPORT lines), live logs
with a CloudWatch filter pattern, and invoking with an event or a sample event."""

from __future__ import annotations

import asyncio
import functools
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from serverlite.commands.sample_events import SAMPLES
from serverlite.console import live
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, link, pre, table, when
from serverlite.errors import ServerliteError
from serverlite.invoker.types import InvokeRequest
from serverlite.observe import filter_pattern
from serverlite.template.model import FunctionSpec

_REPORT = re.compile(
    r"REPORT RequestId: (?P<id>\S+)\tDuration: (?P<duration>[\d.]+) ms.*?"
    r"Max Memory Used: (?P<memory>\d+) MB(?:\tInit Duration: (?P<init>[\d.]+) ms)?"
    r"(?:\tStatus: (?P<status>\w+))?"
)


def function_list(ctx: ConsoleContext) -> str:
    return table(
        ("Function", "Runtime", "Memory", "Timeout", "Reserved concurrency", "Events"),
        (
            (
                link(f"functions/{f.name}", f.name),
                esc(f.runtime),
                f"{f.memory_mb} MB",
                f"{f.timeout_s} s",
                esc(f.reserved_concurrency if f.reserved_concurrency is not None else "unreserved"),
                esc(", ".join(sorted({e.type for e in f.events}))),
            )
            for f in ctx.app.functions
        ),
        "no functions",
    )


def detail(ctx: ConsoleContext, fn: FunctionSpec) -> str:
    config = {
        "FunctionName": fn.name,
        "FunctionArn": fn.arn,
        "Runtime": fn.runtime,
        "Handler": fn.handler,
        "CodeUri": str(fn.code_dir),
        "MemorySize": fn.memory_mb,
        "Timeout": fn.timeout_s,
        "ReservedConcurrentExecutions": fn.reserved_concurrency,
        "Architectures": list(fn.architectures),
        "Layers": [layer.logical_id for layer in fn.layers],
        "Environment": dict(fn.environment),
        "Tracing": fn.tracing,
    }
    samples = "".join(
        f'<option value="{esc(service)}/{esc(event)}">{esc(service)} {esc(event)}</option>'
        for service, events in SAMPLES.items()
        for event in events
    )
    base = f"functions/{fn.name}"
    return (
        f"<h2>Configuration</h2>{pre(config)}"
        "<h2>Invoke</h2>"
        f'<form hx-post="{esc(href(base + "/invoke"))}" hx-target="#invoke-result">'
        f'<label>Sample event <select name="sample" hx-get="{esc(href("sample"))}" '
        'hx-target="#event" hx-swap="outerHTML" hx-trigger="change">'
        f'<option value="">(none)</option>{samples}</select></label>'
        '<textarea id="event" name="event" rows="8">{}</textarea>'
        '<button type="submit">Invoke</button></form><div id="invoke-result"></div>'
        + live.region(
            f"live/{base}",
            "<h2>Recent invocations</h2>"
            + live.block("invocations", invocations(ctx, fn), "invocations"),
        )
        + "<h2>Logs</h2>"
        '<label>Filter pattern <input id="log-filter" name="filter" size="40" '
        'placeholder="ERROR, ?timeout, { $.level = &quot;ERROR&quot; }"></label>'
        f'<pre id="logs" class="logs" data-stream="{esc(href(base + "/logs"))}"></pre>'
    )


def blocks(ctx: ConsoleContext, fn: FunctionSpec) -> list[live.Block]:
    """A function page's live blocks: its recent invocations."""

    async def recent() -> str:
        return invocations(ctx, fn)

    return [live.Block("invocations", recent, 1.0)]


def invocations(ctx: ConsoleContext, fn: FunctionSpec, limit: int = 50) -> str:
    """The latest invocations from their log lines: the REPORT line's duration, memory
    and Init Duration (a cold start), and the status: the REPORT's Status (timeouts,
    crashes) or, as Lambda's Python runtime logs a handler's exception, an ``[ERROR]``
    line between START and REPORT in the same stream."""
    events = ctx.logs.read(fn.log_group_name, since_ms=0, after_id=0, limit=100_000)
    failed_in: dict[str, bool] = {}  # log stream -> the running invocation logged [ERROR]
    rows: list[tuple[str, ...]] = []
    for event in events:
        message = event.message
        if message.startswith("START RequestId:"):
            failed_in[event.log_stream] = False
        elif message.startswith("[ERROR]"):
            failed_in[event.log_stream] = True
        match = _REPORT.match(message)
        if match is None:
            continue
        status = match["status"] or (
            "error" if failed_in.pop(event.log_stream, False) else "success"
        )
        cls = "ok" if status == "success" else "err"
        rows.append(
            (
                f'<span class="request">{esc(match["id"])}</span>',
                esc(when(event.timestamp_ms / 1000)),
                f'<span class="{cls}">{esc(status)}</span>',
                f"{float(match['duration']):.2f} ms",
                "cold" if match["init"] else "warm",
                f"{match['memory']} MB",
            )
        )
    return table(
        ("Request", "Time", "Status", "Duration", "Start", "Max memory"),
        list(reversed(rows))[:limit],
        "no invocations yet",
    )


def sample(choice: str) -> str:
    service, _, event = choice.partition("/")
    found = SAMPLES.get(service, {}).get(event)
    body = "{}"
    if found is not None:
        options = {o.name: o.default for o in found.options}
        body = json.dumps(found.build(options), indent=2)
    return f'<textarea id="event" name="event" rows="16">{esc(body)}</textarea>'


async def invoke(ctx: ConsoleContext, fn: FunctionSpec, event: str) -> str:
    try:
        json.loads(event or "{}")
    except ValueError as exc:
        return f'<p class="err">the event is not JSON: {esc(exc)}</p>'
    try:
        result = await ctx.invoker.invoke(
            InvokeRequest(fn.name, (event or "{}").encode(), log_type="Tail")
        )
    except ServerliteError as exc:
        return f'<p class="err">{esc(exc)}</p>'
    status = (
        f'<span class="err">{esc(result.function_error)}</span>'
        if result.function_error
        else '<span class="ok">succeeded</span>'
    )
    return (
        f'<p id="invoke-status">{status} · request {esc(result.request_id)}</p>'
        f"{pre(result.payload.decode(errors='replace'))}"
    )


async def log_stream(
    ctx: ConsoleContext, fn: FunctionSpec, pattern: str, disconnected: Any
) -> AsyncIterator[str]:
    """Server-sent events: the last hour's matching lines, then new ones as they come."""
    try:
        matches = filter_pattern.compile_pattern(pattern)
    except filter_pattern.PatternError as exc:
        yield f"data: invalid filter pattern: {exc}\n\n"
        return
    after = 0
    since = int((time.time() - 3600) * 1000)
    loop = asyncio.get_running_loop()
    group = fn.log_group_name
    while not await disconnected():
        events = await loop.run_in_executor(
            None, functools.partial(ctx.logs.read, group, since_ms=since, after_id=after)
        )
        for event in events:
            if matches(event.message):
                lines = "\n".join(
                    f"data: {line}" for line in event.message.rstrip("\n").split("\n")
                )
                yield f"{lines}\n\n"
        if events:
            after = events[-1].id
        else:
            yield ": keep-alive\n\n"
            await asyncio.sleep(0.5)
