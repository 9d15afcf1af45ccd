"""Traces: the service map (X-Ray's service graph) and each trace's waterfall."""

from __future__ import annotations

import time
from typing import Any

from serverlite.console import live
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, link, pre, table, when
from serverlite.console.svg import service_map, waterfall
from serverlite.observe import service_graph
from serverlite.observe.trace_assembly import assemble, facts, segment_tree

WINDOW_S = 3600.0  # the map and the list: the last hour, as X-Ray's console opens


def overview(ctx: ConsoleContext, limit: int = 100) -> str:
    store = ctx.observer.traces
    if store is None:
        return '<p class="muted">tracing is off (serverlite up --no-tracing)</p>'
    now = time.time()
    ids = store.trace_ids(now - WINDOW_S, now + 60, limit=1000)
    docs = store.documents(ids)
    assembled = {trace_id: assemble(docs.get(trace_id, [])) for trace_id in ids}
    graph = service_graph.build(assembled.values(), ctx.app.account_id)
    rows = []
    for trace_id in ids[:limit]:
        found = facts(trace_id, assembled[trace_id])
        flags = " ".join(
            name
            for name, on in (
                ("fault", found.fault),
                ("error", found.error),
                ("throttle", found.throttle),
            )
            if on
        )
        entry = found.entry.name if found.entry else "?"
        rows.append(
            (
                link(f"traces/{trace_id}", trace_id),
                esc(when(found.start)),
                esc(entry),
                f"{found.response_time * 1000:.1f} ms",
                esc(found.http.get("HttpStatus", "")),
                f'<span class="err">{esc(flags)}</span>' if flags else "",
                esc(", ".join(sorted({n.name for n in found.nodes if n.name != entry}))),
            )
        )
    return (
        f"<h2>Service map (last hour, {len(ids)} traces)</h2>{service_map(graph)}"
        "<h2>Recent traces</h2>"
        + table(
            ("Trace", "Time", "Entry", "Response", "Status", "Flags", "Services"),
            rows,
            "no traces yet",
        )
    )


def page_body(ctx: ConsoleContext) -> str:
    return live.region("live/traces", live.block("traces", overview(ctx)))


def blocks(ctx: ConsoleContext) -> list[live.Block]:
    """The page's live block: the map and the list (a few hundred ms with 1,000 traces,
    so every 5 s)."""

    async def render() -> str:
        return overview(ctx)

    return [live.Block("traces", render, 5.0)]


def trace(ctx: ConsoleContext, trace_id: str) -> str:
    store = ctx.observer.traces
    segments = assemble(store.documents([trace_id]).get(trace_id, [])) if store else []
    if not segments:
        return f'<p class="err">no trace {esc(trace_id)}</p>'
    origin = min(float(s["start_time"]) for s in segments)
    roots, children = segment_tree(segments)
    rows: list[tuple[int, str, float, float | None, bool]] = []
    details: list[str] = []

    def add(node: dict[str, Any], depth: int) -> None:
        start = float(node.get("start_time") or origin)
        end = node.get("end_time")
        aws = node.get("aws") or {}
        label = f"{node.get('name', '?')} {aws.get('operation', '')}".strip()
        failed = bool(node.get("fault") or node.get("error"))
        rows.append((depth, label, start - origin, float(end) - start if end else None, failed))
        details.append(
            f"<details><summary>{esc(label)}</summary>"
            f"{pre({k: v for k, v in node.items() if k != 'subsegments'})}</details>"
        )
        items = sorted(
            [*(node.get("subsegments") or ()), *children.get(node["id"], [])],
            key=lambda n: float(n.get("start_time") or 0),
        )
        for child in items:
            add(child, depth + 1)

    for root in roots:
        add(root, 0)
    found = facts(trace_id, segments)
    return (
        f"<p>{esc(when(found.start))} · response {found.response_time * 1000:.1f} ms · "
        f"{len(segments)} segments</p><h2>Timeline</h2>{waterfall(rows)}"
        f"<h2>Segments</h2>{''.join(details)}"
    )
