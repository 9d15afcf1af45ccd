"""Cost: what ``serverlite cost`` prices (the metric store's usage at us-east-1 prices),
over the last 24 hours, with the month at this rate, and a bar per function of its
GB-seconds (what Lambda bills compute by; the free tier can make its USD zero)."""

from __future__ import annotations

import time

from serverlite.commands.cost import configs
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, table
from serverlite.console.svg import bar_chart
from serverlite.cost.estimate import Line, price, prices, usage

WINDOW_S = 86_400.0


def cost_page(ctx: ConsoleContext) -> str:
    store = ctx.observer.metrics
    if store is None:
        return '<p class="muted">metrics are off: nothing to price</p>'
    end = time.time()
    functions, tables = configs(ctx.app)
    lines = usage(store, functions, tables, end - WINDOW_S, end)
    result = price(lines, WINDOW_S, True, prices())
    rows = (
        (
            esc(line.service),
            f'<span class="cost-item">{esc(line.item)}</span>',
            esc(line.price),
            f"{line.quantity:.4f}",
            f"{line.usd:.6f}",
            f"{line.monthly_usd:.4f}",
        )
        for line in result.lines
    )
    per_function = gb_seconds(result.lines)
    chart = bar_chart(per_function, "GB-s") if per_function else "no function ran"
    return (
        f'<h2>GB-seconds per function</h2><div id="cost-chart">{chart}</div>'
        "<h2>Items</h2>"
        "<p>Last 24 h, us-east-1 prices in USD, free tier on (as <code>serverlite cost</code>)"
        f"</p>{table(('Service', 'Item', 'Price', 'Quantity', 'USD', 'Per month'), rows)}"
        f"<p>Total {result.usd:.6f} USD · per month at this rate {result.monthly_usd:.4f} USD</p>"
        f"<p class=muted>Not measured: {esc(', '.join(result.not_measured))}</p>"
    )


def gb_seconds(lines: list[Line]) -> list[tuple[str, float]]:
    """Each function's GB-seconds (its ``lambda_gb_seconds_<arch>`` line), largest first."""
    per: dict[str, float] = {}
    for line in lines:
        if line.service == "Lambda" and line.price.startswith("lambda_gb_seconds_"):
            per[line.item] = per.get(line.item, 0.0) + line.quantity
    return sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))
