"""Metrics and alarms: every series in the metric store, charted per minute over the
last hour, and every CloudWatch alarm with its state history (``alarms.py``)."""

from __future__ import annotations

import json
import time

from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, live, table
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
        query = json.dumps([series.namespace, series.name, list(series.dimensions)])
        rows.append(
            (
                esc(series.namespace),
                esc(series.name),
                esc(", ".join(f"{k}={v}" for k, v in series.dimensions)),
                f'<div hx-get="{esc(href("metrics/chart"))}?series={esc(_quote(query))}" '
                'hx-trigger="load, every 10s"></div>',
            )
        )
    return f"<p>Namespaces: {picker}</p>" + table(
        ("Namespace", "Metric", "Dimensions", "Last hour (per minute)"), rows, "no metrics yet"
    )


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def chart(ctx: ConsoleContext, query: str, stat: str = "") -> str:
    store = ctx.observer.metrics
    try:
        namespace, name, pairs = json.loads(query)
        dimensions = tuple((str(k), str(v)) for k, v in pairs)
    except (ValueError, TypeError):
        return '<span class="err">bad series</span>'
    series = store.find(namespace, name, dimensions) if store else None
    if store is None or series is None:
        return '<span class="muted">no data</span>'
    return _chart(ctx, series, stat)


def _chart(ctx: ConsoleContext, series: Series, stat: str) -> str:
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


def page_body(ctx: ConsoleContext, namespace: str, alarm_list: str) -> str:
    return (
        f"<h2>Alarms</h2>{live('metrics/alarms', alarm_list, '5s', 'alarms')}<h2>Metrics</h2>"
        + live(f"metrics/list?namespace={namespace}", metric_list(ctx, namespace), "30s")
    )
