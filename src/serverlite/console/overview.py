"""Overview: functions, APIs, resources, recent errors, what is not emulated."""

from __future__ import annotations

import time

from serverlite.aws import registry
from serverlite.console import live
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, link, table, when
from serverlite.functions.environment import startup_warnings
from serverlite.observe.trace_assembly import assemble, facts
from serverlite.template.coverage import not_emulated


async def overview(ctx: ConsoleContext) -> str:
    app = ctx.app
    functions = table(
        ("Function", "Runtime", "Handler", "Memory", "Timeout"),
        (
            (
                link(f"functions/{f.name}", f.name),
                esc(f.runtime),
                esc(f.handler),
                f"{f.memory_mb} MB",
                f"{f.timeout_s} s",
            )
            for f in app.functions
        ),
        "no functions",
    )
    apis = table(
        ("API", "URL"),
        ((esc(name), f'<a href="{esc(url)}">{esc(url)}</a>') for name, url in ctx.apis),
        "no APIs served",
    )
    resources = table(
        ("Service", "Kind", "Name", "Detail"),
        ((esc(r.service), esc(r.kind), esc(r.name), esc(r.detail)) for r in ctx.provisioned),
        "no resources",
    )
    warnings = [esc(w) for w in startup_warnings(app)] + [
        esc(m) for m in not_emulated(app, registry.service_names())
    ]
    notes = "".join(f'<li class="warn">{w}</li>' for w in warnings) or "<li>none</li>"
    return (
        f"<h2>Functions</h2>{functions}<h2>APIs</h2>{apis}<h2>Resources</h2>{resources}"
        + live.region(
            "live/overview",
            f"<h2>Alarms in ALARM</h2>{live.block('alarms', await alarms(ctx))}"
            f"<h2>Recent errors</h2>{live.block('errors', recent_errors(ctx))}",
        )
        + f"<h2>Not emulated, warnings</h2><ul>{notes}</ul>"
    )


def blocks(ctx: ConsoleContext) -> list[live.Block]:
    """The overview's live blocks: alarms in ALARM, traces with errors."""

    known: dict[str, Row | None] = {}

    async def errors() -> str:
        return recent_errors(ctx, known=known)

    return [live.Block("alarms", lambda: alarms(ctx), 3.0), live.Block("errors", errors, 3.0)]


async def alarms(ctx: ConsoleContext) -> str:
    """CloudWatch alarms in ALARM (DescribeAlarms), metric and composite."""
    if not ctx.has("cloudwatch"):
        return '<p class="muted">CloudWatch is not running</p>'
    found = await ctx.call("cloudwatch", "DescribeAlarms", {"StateValue": "ALARM"})
    rows = (
        (
            f'<span class="alarm err">{esc(a["AlarmName"])}</span>',
            esc(a.get("StateReason", "")),
            esc(when(_epoch(a.get("StateUpdatedTimestamp")))),
        )
        for a in [*found.get("MetricAlarms", []), *found.get("CompositeAlarms", [])]
    )
    return table(("Alarm", "Reason", "Since"), rows, "no alarm in ALARM")


def _epoch(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None


Row = tuple[str, ...]
SETTLED_S = 60.0  # a trace this old has all its segments: its row is kept, not remade


def recent_errors(
    ctx: ConsoleContext, window_s: float = 3600.0, known: dict[str, Row | None] | None = None
) -> str:
    """Traces of the last hour with an error or fault. ``known``: rows of settled traces
    (None: no error) from an earlier call, reused and added to, so a live page assembles
    only the traces that are new."""
    store = ctx.observer.traces
    if store is None:
        return '<p class="muted">tracing is off</p>'
    now = time.time()
    ids = store.trace_ids(now - window_s, now + 60, limit=500)
    known = {} if known is None else known
    for gone in known.keys() - set(ids):
        del known[gone]
    docs = store.documents(t for t in ids if t not in known)
    rows = []
    for trace_id in ids:
        if trace_id in known:
            row = known[trace_id]
        else:
            found = facts(trace_id, assemble(docs.get(trace_id, [])))
            row = None
            if found.error or found.fault:
                row = (
                    link(f"traces/{trace_id}", trace_id),
                    esc(when(found.start)),
                    esc(found.entry.name if found.entry else "?"),
                    esc(found.http.get("HttpStatus", "")),
                    "fault" if found.fault else "error",
                )
            if found.start and found.start < now - SETTLED_S:
                known[trace_id] = row
        if row is not None:
            rows.append(row)
        if len(rows) >= 20:
            break
    return table(("Trace", "Time", "Entry", "Status", "Kind"), rows, "no errors in the last hour")
