"""Inline SVG: line charts, the service map, a trace waterfall, bar charts (a state
machine's graph: ``state_graph.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from serverlite.console.html import esc


def line_chart(points: Sequence[tuple[float, float]], width: int = 480, height: int = 90) -> str:
    """One series as a polyline with its range labelled (points: (time, value))."""
    if not points:
        return f'<svg class="chart" width="{width}" height="{height}"></svg>'
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y0, y1 = min(0.0, *ys), max(ys) if max(ys) > 0 else 1.0
    pad = 14

    def sx(x: float) -> float:
        return pad + (x - x0) / (x1 - x0) * (width - 2 * pad)

    def sy(y: float) -> float:
        return height - pad - (y - y0) / ((y1 - y0) or 1) * (height - 2 * pad)

    line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2"/>' for x, y in points)
    return (
        f'<svg class="chart" width="{width}" height="{height}" role="img">'
        f'<rect width="{width}" height="{height}" fill="#fff" stroke="#d8dde3"/>'
        f'<polyline points="{line}" fill="none" stroke="#0972d3" stroke-width="1.5"/>'
        f'<g fill="#0972d3">{dots}</g>'
        f'<text x="2" y="11">{esc(_num(y1))}</text>'
        f'<text x="2" y="{height - 2}">{esc(_num(y0))}</text></svg>'
    )


def _num(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def service_map(services: Sequence[Mapping[str, Any]]) -> str:
    """X-Ray's service graph (GetServiceGraph's Services): nodes in columns by depth from
    the roots, edges labelled with calls, error rate and average latency."""
    if not services:
        return '<p class="muted">no traces yet</p>'
    by_ref = {s["ReferenceId"]: s for s in services}
    depth: dict[int, int] = {}
    frontier = [s["ReferenceId"] for s in services if s.get("Root")] or [services[0]["ReferenceId"]]
    for ref in frontier:
        depth[ref] = 0
    while frontier:
        nxt = []
        for ref in frontier:
            for edge in by_ref[ref].get("Edges", []):
                child = edge["ReferenceId"]
                if child not in depth:
                    depth[child] = depth[ref] + 1
                    nxt.append(child)
        frontier = nxt
    for s in services:
        depth.setdefault(s["ReferenceId"], 0)
    columns: dict[int, list[int]] = {}
    for ref, d in sorted(depth.items()):
        columns.setdefault(d, []).append(ref)
    box_w, box_h, gap_x, gap_y = 170, 46, 110, 28
    pos = {
        ref: (20 + d * (box_w + gap_x), 20 + i * (box_h + gap_y))
        for d, refs in columns.items()
        for i, ref in enumerate(refs)
    }
    width = 40 + (max(columns) + 1) * (box_w + gap_x)
    height = 40 + max(len(r) for r in columns.values()) * (box_h + gap_y)
    parts = [
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#555"/></marker></defs>'
    ]
    for s in services:
        x, y = pos[s["ReferenceId"]]
        for edge in s.get("Edges", []):
            cx, cy = pos[edge["ReferenceId"]]
            stats = edge.get("SummaryStatistics", {})
            calls, bad, avg = _stats(stats)
            colour = "#b3261e" if bad else "#555"
            x1, y1, x2, y2 = x + box_w, y + box_h / 2, cx, cy + box_h / 2
            parts.append(
                f'<line class="edge" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" '
                f'marker-end="url(#arrow)"/>'
                f'<text x="{(x1 + x2) / 2 - 40:.0f}" y="{(y1 + y2) / 2 - 4:.0f}">'
                f"{calls} calls · {bad:.0%} err · {avg:.1f} ms</text>"
            )
    for s in services:
        x, y = pos[s["ReferenceId"]]
        calls, bad, avg = _stats(s.get("SummaryStatistics", {}))
        fill = "#f6cfcb" if bad else "#e8f1fb"
        parts.append(
            f'<g class="node"><rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="6" '
            f'fill="{fill}" stroke="#0972d3"/>'
            f'<text x="{x + 6}" y="{y + 16}" font-weight="600">{esc(_clip(s["Name"], 26))}</text>'
            f'<text x="{x + 6}" y="{y + 30}">{esc(s.get("Type", ""))}</text>'
            f'<text x="{x + 6}" y="{y + 42}">{calls} · {avg:.1f} ms avg</text></g>'
        )
    return (
        f'<svg id="service-map" width="{width}" height="{height}" role="img">'
        + "".join(parts)
        + "</svg>"
    )


def _stats(stats: Mapping[str, Any]) -> tuple[int, float, float]:
    calls = int(stats.get("TotalCount", 0))
    failed = int((stats.get("ErrorStatistics") or {}).get("TotalCount", 0)) + int(
        (stats.get("FaultStatistics") or {}).get("TotalCount", 0)
    )
    avg = float(stats.get("TotalResponseTime", 0.0)) / calls * 1000 if calls else 0.0
    return calls, (failed / calls if calls else 0.0), avg


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def waterfall(rows: Sequence[tuple[int, str, float, float | None, bool]], width: int = 900) -> str:
    """Rows of (depth, label, start offset s, duration s or None, failed)."""
    if not rows:
        return '<p class="muted">no segments</p>'
    total = max((s + (d or 0)) for _, _, s, d, _ in rows) or 1e-3
    label_w, row_h = 300, 20
    bar_w = width - label_w - 90
    parts = []
    for i, (level, label, start, took, failed) in enumerate(rows):
        y = 4 + i * row_h
        x = label_w + start / total * bar_w
        w = max(2.0, (took or 0) / total * bar_w)
        colour = "#d9534f" if failed else "#0972d3"
        ms = f"{took * 1000:.1f} ms" if took is not None else "in progress"
        parts.append(
            f'<text x="{4 + level * 12}" y="{y + 13}">{esc(_clip(label, 44 - level * 2))}</text>'
            f'<rect class="bar" x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="12" '
            f'fill="{colour}"/><text x="{x + w + 4:.1f}" y="{y + 13}">{esc(ms)}</text>'
        )
    height = 8 + len(rows) * row_h
    return (
        f'<svg id="waterfall" width="{width}" height="{height}" role="img">'
        + "".join(parts)
        + "</svg>"
    )


def bar_chart(bars: Sequence[tuple[str, float]], unit: str, width: int = 480) -> str:
    """Horizontal bars, one a row, each labelled with its name and value (bars: (name,
    value)), longest for the largest value."""
    row, label = 22, 160
    height = max(row * len(bars), row)
    top = max((value for _, value in bars), default=0.0) or 1.0
    parts = []
    for i, (name, value) in enumerate(bars):
        y = i * row
        length = max(value / top * (width - label - 90), 1.0 if value > 0 else 0.0)
        parts.append(
            f'<g class="bar" data-name="{esc(name)}" data-value="{value:.6g}">'
            f'<text x="2" y="{y + 15}">{esc(_clip(name, 24))}</text>'
            f'<rect x="{label}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" '
            'fill="#0972d3"/>'
            f'<text x="{label + length + 4:.1f}" y="{y + 15}">{esc(f"{value:.4g} {unit}")}</text>'
            "</g>"
        )
    return (
        f'<svg class="chart bars" width="{width}" height="{height}" role="img">'
        f"{''.join(parts)}</svg>"
    )
