"""Metrics and alarms: every series in the metric store, charted per minute over the
last hour, and every CloudWatch alarm with its state history (``alarms.py``)."""

from __future__ import annotations

import time
from urllib.parse import quote

from serverlite.console import live
from serverlite.console.alarms import alarm_list
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, table
from serverlite.console.svg import line_chart
from serverlite.observe import statistics
from serverlite.observe.metrics import Series

WINDOW_S = 3600
PERIOD = 60
STATISTICS = ("Sum", "Average", "Maximum", "Minimum", "SampleCount")


def metric_list(ctx: ConsoleContext, namespace: str = "") -> str:
    store = ctx.observer.metrics
    if store is None:
        return '<p class="muted">metrics are off</p>'
    found = store.series(namespace or None)
    namespaces = sorted({s.namespace for s in store.series()})
    picker = "".join(
        f'<a href="{esc(href("metrics"))}?namespace={esc(ns)}">{esc(ns)}</a> ' for ns in namespaces
    )
    rows = []
    for series in found[:300]:
        rows.append(
            (
                esc(series.namespace),
                esc(series.name),
                esc(", ".join(f"{k}={v}" for k, v in series.dimensions)),
                _chart(ctx, series),
            )
        )
    return f"<p>Namespaces: {picker}</p>" + table(
        ("Namespace", "Metric", "Dimensions", "Last hour (per minute)"), rows, "no metrics yet"
    )


def _chart(ctx: ConsoleContext, series: Series, stat: str = "") -> str:
    store = ctx.observer.metrics
    assert store is not None
    now = time.time()
    data = store.datapoints([series.id], now - WINDOW_S, now + 1, PERIOD)
    if not stat:  # counts are summed, times averaged, as CloudWatch's console picks
        stat = "Average" if series.name in ("Duration", "Latency", "IntegrationLatency") else "Sum"
    values = ((float(t), statistics.value(agg, stat)) for t, agg in sorted(data.items()))
    points = [(t, v) for t, v in values if v is not None]
    last = f"{points[-1][1]:.2f}" if points else "-"
    return f"{line_chart(points)}<div class=muted>{esc(stat)} · last {esc(last)}</div>"


async def page_body(ctx: ConsoleContext, namespace: str) -> str:
    return live.region(
        f"live/metrics?namespace={_quote(namespace)}",
        f"<h2>Alarms</h2>{live.block('alarms', await alarm_list(ctx), 'alarms')}<h2>Metrics</h2>"
        + live.block("metrics", metric_list(ctx, namespace)),
    )


def blocks(ctx: ConsoleContext, namespace: str) -> list[live.Block]:
    """The page's live blocks: every alarm with its history, every series charted (the
    charts move once a minute, one datapoint a period)."""

    async def metrics() -> str:
        return metric_list(ctx, namespace)

    return [
        live.Block("alarms", lambda: alarm_list(ctx), 2.0),
        live.Block("metrics", metrics, 10.0),
    ]


def _quote(text: str) -> str:
    return quote(text, safe="")
