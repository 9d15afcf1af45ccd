"""Functions: configuration, recent invocations (from their REPORT lines), live logs
with a CloudWatch filter pattern, and invoking with an event or a sample event."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from serverlite.commands.sample_events import SAMPLES
from serverlite.console import concurrency, live
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, pre
from serverlite.console.invocations import RecentInvocations
from serverlite.console.saved_events import SavedEventError, SavedEvents
from serverlite.errors import ServerliteError
from serverlite.invoker.types import InvokeRequest
from serverlite.observe import filter_pattern
from serverlite.template.model import FunctionSpec


def page_body(ctx: ConsoleContext) -> str:
    return live.region(
        "live/functions", live.block("functions", concurrency.function_list(ctx), "functions")
    )


def list_blocks(ctx: ConsoleContext) -> list[live.Block]:
    """The list's live block: each function's running count and throttles."""

    async def listed() -> str:
        return concurrency.function_list(ctx)

    return [live.Block("functions", listed, 2.0)]


def detail(ctx: ConsoleContext, fn: FunctionSpec, saved: SavedEvents | None) -> str:
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
        f'<form id="invoke-form" hx-post="{esc(href(base + "/invoke"))}" '
        'hx-target="#invoke-result">'
        f'<label>Template (generate-event) <select name="sample" hx-get="{esc(href("sample"))}" '
        'hx-target="#event" hx-swap="outerHTML" hx-trigger="change">'
        f'<option value="">(none)</option>{samples}</select></label> '
        f'<span id="saved-events">{saved_picker(fn, saved)}</span>'
        '<textarea id="event" name="event" rows="8">{}</textarea>'
        '<button type="submit">Invoke</button> '
        '<label>Save as <input name="save_name" size="25" maxlength="25"></label> '
        f'<button type="button" hx-post="{esc(href(base + "/events/save"))}" '
        'hx-target="#saved-events">Save event</button> '
        f'<button type="button" hx-post="{esc(href(base + "/events/delete"))}" '
        'hx-target="#saved-events">Delete saved event</button>'
        '</form><div id="invoke-result"></div>'
        + live.region(
            f"live/{base}",
            "<h2>Concurrency and throttles</h2>"
            + live.block("concurrency", concurrency.panel(ctx, fn), "concurrency")
            + "<h2>Recent invocations</h2>"
            + live.block("invocations", invocations(ctx, fn), "invocations"),
        )
        + "<h2>Logs</h2>"
        '<label>Filter pattern <input id="log-filter" name="filter" size="40" '
        'placeholder="ERROR, ?timeout, { $.level = &quot;ERROR&quot; }"></label>'
        f'<pre id="logs" class="logs" data-stream="{esc(href(base + "/logs"))}"></pre>'
    )


def blocks(ctx: ConsoleContext, fn: FunctionSpec) -> list[live.Block]:
    """A function page's live blocks: its concurrency and throttles, its invocations."""

    tail = RecentInvocations(ctx.logs, fn.log_group_name)
    shown = ""

    async def recent() -> str:
        nonlocal shown
        if tail.update() or not shown:  # unchanged: the same HTML, so nothing is sent
            shown = tail.html()
        return shown

    async def limits() -> str:
        return concurrency.panel(ctx, fn)

    return [live.Block("concurrency", limits, 1.0), live.Block("invocations", recent, 1.0)]


def invocations(ctx: ConsoleContext, fn: FunctionSpec) -> str:
    """The latest invocations (``invocations.py``)."""
    recent = RecentInvocations(ctx.logs, fn.log_group_name)
    recent.update()
    return recent.html()


def saved_picker(
    fn: FunctionSpec, saved: SavedEvents | None, chosen: str = "", note: str = ""
) -> str:
    """The function's saved events: choosing one loads it into the event box."""
    if saved is None:
        return '<span class="muted">saved events need a state directory</span>'
    options = "".join(
        f'<option value="{esc(n)}"{" selected" if n == chosen else ""}>{esc(n)}</option>'
        for n in saved.names(fn.name)
    )
    load = esc(href(f"functions/{fn.name}/events"))
    return (
        f'<label>Saved event <select name="saved" hx-get="{load}" hx-target="#event" '
        f'hx-swap="outerHTML" hx-trigger="change"><option value="">(none)</option>{options}'
        f"</select></label> {note}"
    )


def saved_event(fn: FunctionSpec, saved: SavedEvents | None, name: str) -> str:
    event = saved.get(fn.name, name) if saved is not None and name else None
    body = "{}" if event is None else json.dumps(event, indent=2)
    return f'<textarea id="event" name="event" rows="16">{esc(body)}</textarea>'


def save_event(fn: FunctionSpec, saved: SavedEvents | None, name: str, event: str) -> str:
    if saved is None:
        return saved_picker(fn, saved)
    try:
        saved.save(fn.name, name, event)
    except SavedEventError as exc:
        note = f'<span class="err" id="saved-note">{esc(exc)}</span>'
        return saved_picker(fn, saved, "", note)
    note = f'<span class="ok" id="saved-note">saved {esc(name)}</span>'
    return saved_picker(fn, saved, name, note)


def delete_event(fn: FunctionSpec, saved: SavedEvents | None, name: str) -> str:
    if saved is None:
        return saved_picker(fn, saved)
    if saved.delete(fn.name, name):
        note = f'<span class="ok" id="saved-note">deleted {esc(name)}</span>'
    else:
        note = '<span class="err" id="saved-note">choose a saved event to delete</span>'
    return saved_picker(fn, saved, "", note)


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
    except ServerliteError as exc:  # a throttle: TooManyRequestsException, Rate Exceeded.
        code = getattr(exc, "code", type(exc).__name__)
        return f'<p class="err" id="invoke-error">{esc(code)}: {esc(exc)}</p>'
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
