"""``serverlite traces`` and ``serverlite metrics``: what ran, read from the state
directory (traces.db, metrics.db) while an ``up`` writes them, or after it stopped.

``traces`` lists recent traces (entry point, response time, flags, services) and prints
one as an indented tree of segments and subsegments with their durations;
``metrics FUNCTION`` draws sparklines of AWS/Lambda Invocations, Errors, Duration
(average and maximum) and Throttles per minute.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from serverlite.errors import ConfigError
from serverlite.observe import statistics
from serverlite.observe.metrics import MetricStore, dims
from serverlite.observe.trace_assembly import assemble, facts, segment_tree
from serverlite.observe.traces import TraceStore

SPARKS = "▁▂▃▄▅▆▇█"


def _store(state_dir: Path) -> TraceStore:
    path = state_dir / "traces.db"
    if not path.exists():
        raise ConfigError(f"no traces yet under {state_dir}: serve a request first")
    return TraceStore(path, read_only=True)


def trace_lines(state_dir: Path, since_s: float, limit: int) -> Iterator[str]:
    store = _store(state_dir)
    now = time.time()
    ids = store.trace_ids(now - since_s, now + 60, limit=limit)
    docs = store.documents(ids)
    if not ids:
        yield "no traces in that time"
        return
    for trace_id in ids:
        found = facts(trace_id, assemble(docs.get(trace_id, [])))
        flags = "".join(
            mark
            for mark, on in (("F", found.fault), ("E", found.error), ("T", found.throttle))
            if on
        )
        entry = found.entry.name if found.entry else "?"
        status = found.http.get("HttpStatus", "")
        started = time.strftime("%H:%M:%S", time.localtime(found.start))
        names = sorted({n.name for n in found.nodes if n.name != entry})
        yield (
            f"{trace_id}  {started}  {found.response_time * 1000:8.1f} ms  {status!s:>3} "
            f"{flags:<3} {entry} -> {', '.join(names)}"
        )


def tree_lines(state_dir: Path, trace_id: str) -> Iterator[str]:
    store = _store(state_dir)
    segments = assemble(store.documents([trace_id]).get(trace_id, []))
    if not segments:
        raise ConfigError(f"no trace {trace_id} under {state_dir}")
    roots, children = segment_tree(segments)
    origin = min(float(s["start_time"]) for s in segments)
    for root in roots:
        yield from _node(root, 0, origin, children)


def _node(
    node: dict[str, Any], depth: int, origin: float, children: dict[str, list[dict[str, Any]]]
) -> Iterator[str]:
    start = float(node.get("start_time") or origin)
    end = node.get("end_time")
    took = f"{(float(end) - start) * 1000:8.1f} ms" if end is not None else "  (in progress)"
    label = node.get("name", "?")
    kind = node.get("origin") or ("aws" if node.get("namespace") == "aws" else "")
    aws = node.get("aws") or {}
    detail = aws.get("operation", "")
    for key in ("table_name", "queue_url", "topic_arn", "function_name", "secret_id"):
        if key in aws:
            detail += f" {aws[key]}"
            break
    flags = "".join(
        m for m, k in (("!", "fault"), ("?", "error"), ("~", "throttle")) if node.get(k)
    )
    offset = (start - origin) * 1000
    yield f"{'  ' * depth}{label} {kind} {detail}".rstrip() + f"  +{offset:.1f} {took} {flags}"
    items = sorted(
        [*(node.get("subsegments") or ()), *children.get(node["id"], [])],
        key=lambda n: float(n.get("start_time") or 0),
    )
    for child in items:
        yield from _node(child, depth + 1, origin, children)


def sparkline(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    span = high - low or 1.0
    return "".join(
        " " if v is None else SPARKS[min(len(SPARKS) - 1, int((v - low) / span * len(SPARKS)))]
        for v in values
    )


def metric_lines(state_dir: Path, function: str, since_s: float, period: int) -> Iterator[str]:
    path = state_dir / "metrics.db"
    if not path.exists():
        raise ConfigError(f"no metrics yet under {state_dir}: invoke a function first")
    store = MetricStore(path, read_only=True)
    now = time.time()
    start = now - since_s
    buckets = int(since_s // period) + 1
    base = int(start) - int(start) % period
    stamps = [base + i * period for i in range(buckets)]
    wanted = dims(FunctionName=function)
    rows = (
        ("Invocations", "Sum", ""),
        ("Errors", "Sum", ""),
        ("Throttles", "Sum", ""),
        ("Duration", "Average", " ms"),
        ("Duration", "Maximum", " ms"),
        ("ConcurrentExecutions", "Maximum", ""),
    )
    found_any = False
    yield f"{function}: per {period}s over the last {int(since_s)}s"
    for name, stat, unit in rows:
        series = store.find("AWS/Lambda", name, wanted)
        data = store.datapoints([series.id] if series else [], base, now + 1, period)
        values = [statistics.value(data[t], stat) if t in data else None for t in stamps]
        known = [v for v in values if v is not None]
        found_any |= bool(known)
        total = sum(known) if stat == "Sum" else (max(known) if known else 0.0)
        summary = f"{total:.0f}" if stat == "Sum" else f"{total:.1f}{unit}"
        word = "total" if stat == "Sum" else "max"
        yield f"  {name + ' ' + stat:<32} {sparkline(values)}  {word} {summary}"
    if not found_any:
        yield f"  no AWS/Lambda metrics for {function} in that time"
