"""Concurrency and throttles: what a function may run at once and what it did.

As the Lambda console's Concurrency panel and Monitoring tab show them: the reserved
concurrency (the function's own slots; without one it shares the account's
unreserved pool), provisioned concurrency configurations (by alias or version), how
many of its invocations run now (the invoker's count, the figure Lambda's
ConcurrentExecutions samples), and over the last hour the AWS/Lambda metrics
Throttles (Sum) and ConcurrentExecutions (Maximum), charted per minute. The metrics
are the ones the invoker publishes, read from the same store GetMetricData answers
from, so what the page shows is what boto3 gets.
"""

from __future__ import annotations

import time

from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, link, table
from serverlite.console.svg import line_chart
from serverlite.observe import statistics
from serverlite.observe.metrics import dims
from serverlite.observe.publishing import LAMBDA
from serverlite.template.model import FunctionSpec

WINDOW_S = 3600
PERIOD = 60


def panel(ctx: ConsoleContext, fn: FunctionSpec) -> str:
    limits = ctx.invoker.concurrency
    running = limits.running(fn.name)
    if fn.reserved_concurrency is None:
        reserved = (
            f"unreserved: shares the account's {limits.unreserved_limit} unreserved "
            f"(<span id=pool-running>{limits.unreserved_running}</span> running)"
        )
    elif fn.reserved_concurrency == 0:
        reserved = "0: every invocation is throttled (the function is switched off)"
    else:
        reserved = esc(fn.reserved_concurrency)
    throttles = _per_minute(ctx, fn, "Throttles", "Sum")
    peak = _per_minute(ctx, fn, "ConcurrentExecutions", "Maximum")
    facts = (
        ("Reserved concurrency", f"<span id=reserved>{reserved}</span>"),
        ("Provisioned concurrency", _provisioned(ctx, fn)),
        ("Running now", f"<span id=running>{running}</span>"),
        (
            "Throttles, last hour",
            f"<span id=throttles>{_total(throttles):.0f}</span>",
        ),
        (
            "Concurrent executions, last hour's peak",
            f"<span id=peak>{max((v for _, v in peak), default=0):.0f}</span>",
        ),
    )
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in facts)
    return (
        f"<table class=facts>{rows}</table>"
        "<div class=charts><div>Throttles (Sum per minute)"
        f"{line_chart(throttles, width=360)}</div>"
        "<div>ConcurrentExecutions (Maximum per minute)"
        f"{line_chart(peak, width=360)}</div></div>"
    )


def _provisioned(ctx: ConsoleContext, fn: FunctionSpec) -> str:
    versions = ctx.invoker.versions
    configs = [p for p in versions.all_provisioned() if p.function == fn.name] if versions else []
    if not configs:
        return "none"
    return ", ".join(
        f"{esc(p.qualifier)}: {p.allocated} of {p.requested} allocated"
        for p in sorted(configs, key=lambda p: p.qualifier)
    )


def _per_minute(
    ctx: ConsoleContext, fn: FunctionSpec, metric: str, stat: str
) -> list[tuple[float, float]]:
    store = ctx.observer.metrics
    series = store.find(LAMBDA, metric, dims(FunctionName=fn.name)) if store else None
    if store is None or series is None:
        return []
    now = time.time()
    data = store.datapoints([series.id], now - WINDOW_S, now + 1, PERIOD)
    values = ((float(t), statistics.value(agg, stat)) for t, agg in sorted(data.items()))
    return [(t, v) for t, v in values if v is not None]


def _total(points: list[tuple[float, float]]) -> float:
    return sum(v for _, v in points)


def function_list(ctx: ConsoleContext) -> str:
    """Every function with its concurrency: reserved, running now, throttles in the
    last hour (AWS/Lambda Throttles, Sum)."""
    limits = ctx.invoker.concurrency
    throttled = _throttles_by_function(ctx)
    return table(
        (
            "Function",
            "Runtime",
            "Memory",
            "Timeout",
            "Reserved concurrency",
            "Running",
            "Throttles (1 h)",
            "Events",
        ),
        (
            (
                link(f"functions/{f.name}", f.name),
                esc(f.runtime),
                f"{f.memory_mb} MB",
                f"{f.timeout_s} s",
                esc(f.reserved_concurrency if f.reserved_concurrency is not None else "unreserved"),
                f'<span class="running">{limits.running(f.name)}</span>',
                f'<span class="throttles">{throttled.get(f.name, 0.0):.0f}</span>',
                esc(", ".join(sorted({e.type for e in f.events}))),
            )
            for f in ctx.app.functions
        ),
        "no functions",
    )


def _throttles_by_function(ctx: ConsoleContext) -> dict[str, float]:
    """Only functions that were throttled have a Throttles series: one read for all."""
    store = ctx.observer.metrics
    if store is None:
        return {}
    now = time.time()
    found: dict[str, float] = {}
    for series in store.series(LAMBDA, "Throttles", since=now - WINDOW_S):
        names = dict(series.dimensions)
        if len(series.dimensions) != 1 or "FunctionName" not in names:
            continue
        data = store.datapoints([series.id], now - WINDOW_S, now + 1, WINDOW_S)
        found[names["FunctionName"]] = sum(agg.sum for agg in data.values())
    return found
