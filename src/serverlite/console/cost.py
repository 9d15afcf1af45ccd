"""Cost: what ``serverlite cost`` prices (the metric store's usage at us-east-1 prices),
over the last 24 hours, with the month at this rate."""

from __future__ import annotations

import time

from serverlite.commands.cost import configs
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, table
from serverlite.cost.estimate import price, prices, usage

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
    return (
        "<p>Last 24 h, us-east-1 prices in USD, free tier on (as <code>serverlite cost</code>)"
        f"</p>{table(('Service', 'Item', 'Price', 'Quantity', 'USD', 'Per month'), rows)}"
        f"<p>Total {result.usd:.6f} USD · per month at this rate {result.monthly_usd:.4f} USD</p>"
        f"<p class=muted>Not measured: {esc(', '.join(result.not_measured))}</p>"
    )
