"""A state machine's graph, coloured by what one execution did in each state.

States are drawn top to bottom in definition order, transitions (Next, Default,
Choices, Catch) as lines, or curves on the left when they go back up. A Parallel
state is a box holding its branches side by side, a Map state a box holding its item
processor (``ItemProcessor``, or the older ``Iterator``), each laid out the same way,
to any depth: Step Functions requires state names to be unique across the whole
machine, branches included, so a history event's state name places it.

What a state did comes from the execution's history: entered and exited counts (a
Map's inner states are entered once per item), and failures, each traced back along
``previousEventId`` to the state it happened in (a TaskFailed to its TaskStateEntered,
a MapIterationFailed to its Map, a ParallelStateFailed to its Parallel).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from serverlite.console.html import esc

COLOURS = {
    "succeeded": "#cdebd3",
    "failed": "#f6cfcb",
    "running": "#cfe0f6",
    "caught": "#fbe5b6",  # failed at least once, then went on (retried or caught)
    "stopped": "#e4e4e4",  # entered, never left: its branch or iteration was cancelled
    "": "#ffffff",  # not reached
}
CONTAINERS = ("Parallel", "Map")
BOX_W, BOX_H, GAP, PAD, HEAD = 190.0, 30.0, 22.0, 12.0, 26.0


@dataclass
class Node:
    """A state and its place relative to its column's origin; a Parallel's or Map's
    inner columns are placed relative to the node."""

    name: str
    kind: str
    x: float = 0.0
    y: float = 0.0
    w: float = BOX_W
    h: float = BOX_H
    columns: list[Column] = field(default_factory=list)


@dataclass
class Column:
    nodes: list[Node]
    edges: list[tuple[str, str]]
    x: float = 0.0
    y: float = 0.0
    w: float = 0.0
    h: float = 0.0


def layout(definition: Mapping[str, Any]) -> Column:
    """The machine's states (or a branch's, or an item processor's), placed."""
    states: Mapping[str, Any] = definition.get("States", {})
    nodes = []
    edges: list[tuple[str, str]] = []
    for name, state in states.items():
        node = Node(name, str(state.get("Type", "")))
        if node.kind == "Parallel":
            node.columns = [layout(branch) for branch in state.get("Branches", [])]
        elif node.kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            node.columns = [layout(processor)]
        if node.columns:
            x = float(PAD)
            for column in node.columns:
                column.x, column.y = x, HEAD
                x += column.w + GAP
            node.w = max(BOX_W, x - GAP + PAD)
            node.h = HEAD + max(c.h for c in node.columns) + PAD
        nodes.append(node)
        targets = [state.get("Next"), state.get("Default")]
        targets += [c.get("Next") for c in state.get("Choices", [])]
        targets += [c.get("Next") for c in state.get("Catch", [])]
        edges += [(name, t) for t in targets if isinstance(t, str) and t in states]
    width = max((n.w for n in nodes), default=0.0)
    y = 0.0
    for node in nodes:
        node.x, node.y = (width - node.w) / 2, y
        y += node.h + GAP
    return Column(nodes, edges, w=width, h=max(0.0, y - GAP))


def status(history: Sequence[Mapping[str, Any]], final: str) -> dict[str, str]:
    """What each state did (succeeded, failed, running, caught, stopped); states never
    entered are absent."""
    by_id = {e.get("id"): e for e in history}
    entered: Counter[str] = Counter()
    exited: Counter[str] = Counter()
    kinds: dict[str, str] = {}
    failed: set[str] = set()
    for event in history:
        kind = str(event.get("type", ""))
        if details := event.get("stateEnteredEventDetails"):
            entered[details["name"]] += 1
            kinds[details["name"]] = kind.removesuffix("StateEntered")
            if kind == "FailStateEntered":
                failed.add(details["name"])
        elif details := event.get("stateExitedEventDetails"):
            exited[details["name"]] += 1
        elif kind.endswith(("Failed", "TimedOut")) and not kind.startswith("Execution"):
            owner = _owner(event, by_id)
            if owner is not None:
                failed.add(owner)
    found = {}
    for name, times in entered.items():
        if times > exited[name]:  # still in it, or never left
            if final == "RUNNING":
                found[name] = "running"
            elif name in failed or kinds.get(name) in CONTAINERS:
                found[name] = "failed"
            else:
                found[name] = "stopped"
        else:
            found[name] = "caught" if name in failed else "succeeded"
    return found


def _owner(event: Mapping[str, Any], by_id: Mapping[Any, Mapping[str, Any]]) -> str | None:
    """The state an event happened in: its thread's last StateEntered."""
    seen = 0
    current: Mapping[str, Any] | None = by_id.get(event.get("previousEventId"))
    while current is not None and seen < 10_000:
        details = current.get("stateEnteredEventDetails")
        if details:
            return str(details["name"])
        current = by_id.get(current.get("previousEventId"))
        seen += 1
    return None


def draw(column: Column, states: Mapping[str, str], counts: Mapping[str, int]) -> str:
    """The graph as inline SVG: each state a ``g.state`` with its name and status."""
    if not column.nodes:
        return ""
    parts: list[str] = []
    _draw_column(column, 60.0, 10.0, states, counts, parts)
    width, height = column.w + 100, column.h + 20
    return (
        f'<svg id="state-graph" width="{math.ceil(width)}" height="{math.ceil(height)}" '
        'role="img"><defs><marker id="sarrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" '
        'fill="#555"/></marker></defs>' + "".join(parts) + "</svg>"
    )


def _draw_column(
    column: Column,
    ox: float,
    oy: float,
    states: Mapping[str, str],
    counts: Mapping[str, int],
    parts: list[str],
) -> None:
    placed = {n.name: n for n in column.nodes}
    order = {n.name: i for i, n in enumerate(column.nodes)}
    for a, b in column.edges:
        start, end = placed[a], placed[b]
        x1, y1 = ox + start.x + start.w / 2, oy + start.y + start.h
        x2, y2 = ox + end.x + end.w / 2, oy + end.y
        if order[b] > order[a] + 1:  # down past other states: a curve on the right
            right = ox + max(start.x + start.w, end.x + end.w)
            bend = right + 30 + abs(y2 - y1) / 10
            ya, yb = oy + start.y + start.h / 2, oy + end.y + end.h / 2
            parts.append(
                f'<path d="M{ox + start.x + start.w:.0f},{ya:.0f} C{bend:.0f},{ya:.0f} '
                f'{bend:.0f},{yb:.0f} {ox + end.x + end.w:.0f},{yb:.0f}" fill="none" '
                'stroke="#555" marker-end="url(#sarrow)"/>'
            )
        elif y2 > y1:
            parts.append(
                f'<line x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" y2="{y2:.0f}" stroke="#555" '
                'marker-end="url(#sarrow)"/>'
            )
        else:  # back up (a loop): a curve on the column's left
            left = ox + min(start.x, end.x)
            bend = left - 30 - abs(y1 - y2) / 10
            ya, yb = oy + start.y + start.h / 2, oy + end.y + end.h / 2
            parts.append(
                f'<path d="M{ox + start.x:.0f},{ya:.0f} C{bend:.0f},{ya:.0f} {bend:.0f},{yb:.0f} '
                f'{ox + end.x:.0f},{yb:.0f}" fill="none" stroke="#999" marker-end="url(#sarrow)"/>'
            )
    for node in column.nodes:
        x, y = ox + node.x, oy + node.y
        state = states.get(node.name, "")
        fill = COLOURS.get(state, "#fff")
        times = counts.get(node.name, 0)
        label = node.name if times <= 1 else f"{node.name} \u00d7{times}"
        if node.columns:
            parts.append(
                f'<g class="state container" data-state="{esc(node.name)}" '
                f'data-status="{esc(state)}" data-type="{esc(node.kind)}">'
                f'<rect x="{x:.0f}" y="{y:.0f}" width="{node.w:.0f}" height="{node.h:.0f}" '
                f'rx="7" fill="{fill}" fill-opacity="0.45" stroke="#333" stroke-dasharray="4 3"/>'
                f'<text x="{x + 8:.0f}" y="{y + 17:.0f}" font-weight="600">'
                f"{esc(_clip(label, 40))} ({esc(node.kind)})</text></g>"
            )
            for inner in node.columns:
                _draw_column(inner, x + inner.x, y + inner.y, states, counts, parts)
        else:
            parts.append(
                f'<g class="state" data-state="{esc(node.name)}" data-status="{esc(state)}" '
                f'data-type="{esc(node.kind)}"><rect x="{x:.0f}" y="{y:.0f}" '
                f'width="{node.w:.0f}" height="{node.h:.0f}" rx="5" fill="{fill}" '
                f'stroke="#333"/><text x="{x + 8:.0f}" y="{y + 19:.0f}">'
                f"{esc(_clip(label, 30))}</text></g>"
            )


def entered_counts(history: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many times each state was entered (a Map's inner states: once per item)."""
    found: Counter[str] = Counter()
    for event in history:
        if details := event.get("stateEnteredEventDetails"):
            found[details["name"]] += 1
    return dict(found)


def legend() -> str:
    return (
        "<p class=legend>"
        + " ".join(
            f'<span style="background:{colour};border:1px solid #999;padding:0 6px">'
            f"{esc(name or 'not reached')}</span>"
            for name, colour in COLOURS.items()
        )
        + "</p>"
    )


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
