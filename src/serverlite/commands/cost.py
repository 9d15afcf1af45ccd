"""`serverlite cost`: the estimate (cost/estimate.py) as a table or JSON."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from serverlite.cost.estimate import FunctionConfig, Table, price, prices, usage
from serverlite.errors import ConfigError
from serverlite.observe.metrics import MetricStore
from serverlite.template.model import Application


def configs(app: Application) -> tuple[list[FunctionConfig], list[Table]]:
    functions = [
        FunctionConfig(fn.name, fn.memory_mb, (fn.architectures or ("x86_64",))[0])
        for fn in app.functions
    ]
    tables = []
    for res in app.resources:
        if res.type not in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
            continue
        props = res.properties
        throughput = props.get("ProvisionedThroughput") or {}
        provisioned = (
            props.get("BillingMode", "PROVISIONED") == "PROVISIONED"
            if res.type == "AWS::DynamoDB::Table"
            else bool(throughput)
        )
        tables.append(
            Table(
                res.physical_id,
                provisioned,
                int(throughput.get("ReadCapacityUnits", 0) or 0),
                int(throughput.get("WriteCapacityUnits", 0) or 0),
            )
        )
    return functions, tables


def estimate(
    state_dir: Path, app: Application, since_s: float, free_tier: bool, now: float | None = None
) -> dict[str, Any]:
    path = state_dir / "metrics.db"
    if not path.exists():
        raise ConfigError(f"no metrics yet under {state_dir}: run something first")
    store = MetricStore(path, read_only=True)
    end = time.time() if now is None else now
    functions, tables = configs(app)
    lines = usage(store, functions, tables, end - since_s, end)
    return price(lines, since_s, free_tier, prices()).to_json()


ITEM_WIDTH = 42  # with the numbers, a row fits 80 columns


def table_lines(result: dict[str, Any], per_month: bool) -> Iterator[str]:
    """The estimate as a table of 80 columns: one group per service and price (``Lambda ·
    gb_seconds_x86_64``), a row per resource; a name too long for its column has a line
    of its own, whole, so two resources are never cut to the same text."""
    hours = result["windowSeconds"] / 3600
    tier = "free tier on" if result["freeTier"] else "free tier off"
    yield f"Cost over the last {hours:g} h in us-east-1 (USD, {tier}); month at this rate"
    yield f"  {'':<{ITEM_WIDTH}}{'quantity':>12}{'usd':>11}{'per month':>11}"
    group = None
    for line in result["lines"]:
        if (line["service"], line["price"]) != group:
            group = (line["service"], line["price"])
            yield f"{line['service']} · {line['price'].split('_', 1)[1]}"
        item = line["item"]
        if len(item) > ITEM_WIDTH:
            yield f"  {item}"
            item = ""
        yield (
            f"  {item:<{ITEM_WIDTH}}{line['quantity']:>12.4f}"
            f"{line['usd']:>11.6f}{line['monthlyUsd']:>11.4f}"
        )
    total, monthly = result["totalUsd"], result["monthlyUsd"]
    yield f"{'total':<{ITEM_WIDTH + 2}}{'':>12}{total:>11.6f}{monthly:>11.4f}"
    if per_month:
        yield f"Projected per month: ${result['monthlyUsd']:.2f}"
    yield from textwrap.wrap(
        "Not measured (not priced yet): " + ", ".join(result["notMeasured"]), 80
    )
