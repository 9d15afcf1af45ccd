"""What the run would have cost on AWS, from what the metric store recorded.

- Lambda: requests (AWS/Lambda Invocations) and GB-seconds: each invocation's billed
  duration (its Duration rounded up to the millisecond, as Lambda bills) times the
  function's memory, priced by architecture.
- API Gateway: requests by API type (AWS/ApiGateway Count: REST APIs by ApiName,
  HTTP APIs by ApiId).
- SQS: requests (sent, received, empty receives, deleted); SNS: publishes.
- DynamoDB: on-demand tables' read and write request units (Consumed*CapacityUnits),
  provisioned tables' RCU and WCU hours over the window.
- S3 requests by class (PUT, COPY, POST, LIST / GET and other), EventBridge custom
  events (64 KB chunks), Kinesis PUT payload units (25 KB chunks) and Step Functions
  Standard workflows' state transitions: the units serverlite counted where it served
  them (observe/billing.py, a serverlite-private namespace of the metric store).
- Not priced, listed as not measured (never counted as free): Kinesis shard hours and
  on-demand streams, Step Functions Express workflows (billed by request and
  duration), API Gateway WebSocket messages and connection minutes.

The window's cost takes each free tier allowance prorated to the window; the monthly
projection scales the window's usage to 30 days at the observed rate and takes the
whole monthly allowance.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from serverlite.observe.billing import BILLING
from serverlite.observe.metrics import Aggregate, MetricStore

MONTH_S = 30 * 24 * 3600.0
NOT_MEASURED = (
    "Kinesis shard hours",
    "Step Functions Express workflows",
    "API Gateway WebSocket messages",
)
# The units observe/billing.py counts, by price key, and the service each is billed by.
BILLED = {
    "s3_put_requests": "S3",
    "s3_get_requests": "S3",
    "eventbridge_events": "EventBridge",
    "kinesis_put_payload_units": "Kinesis",
    "stepfunctions_state_transitions": "Step Functions",
}


def prices() -> dict[str, Any]:
    text = resources.files("serverlite.cost").joinpath("prices.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    memory_mb: int
    architecture: str  # x86_64 | arm64


@dataclass(frozen=True)
class Table:
    name: str
    provisioned: bool
    rcu: int = 0
    wcu: int = 0


@dataclass
class Line:
    service: str
    item: str  # what is counted: a function, an API, a table
    price: str  # the key in prices.json
    quantity: float
    usd: float = 0.0
    monthly_quantity: float = 0.0
    monthly_usd: float = 0.0


@dataclass
class Estimate:
    since_s: float
    free_tier: bool
    lines: list[Line] = field(default_factory=list)
    not_measured: tuple[str, ...] = NOT_MEASURED

    @property
    def usd(self) -> float:
        return sum(line.usd for line in self.lines)

    @property
    def monthly_usd(self) -> float:
        return sum(line.monthly_usd for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "windowSeconds": self.since_s,
            "freeTier": self.free_tier,
            "region": "us-east-1",
            "currency": "USD",
            "totalUsd": round(self.usd, 10),
            "monthlyUsd": round(self.monthly_usd, 10),
            "lines": [
                {
                    "service": line.service,
                    "item": line.item,
                    "price": line.price,
                    "quantity": line.quantity,
                    "usd": round(line.usd, 10),
                    "monthlyQuantity": line.monthly_quantity,
                    "monthlyUsd": round(line.monthly_usd, 10),
                }
                for line in self.lines
            ],
            "notMeasured": list(self.not_measured),
        }


def _aggregates(
    store: MetricStore, namespace: str, name: str, start: float, end: float
) -> Iterable[tuple[dict[str, str], Aggregate]]:
    """Per series of namespace/name: its dimensions and one aggregate over the window."""
    span = max(60, math.ceil((end - start) / 60.0) * 60)
    for series in store.series(namespace, name):
        total = Aggregate()
        for agg in store.datapoints([series.id], start, end, span).values():
            total.merge(agg)
        if total.count > 0:
            yield dict(series.dimensions), total


def _billed_ms(agg: Aggregate) -> float:
    """Each invocation's duration rounded up to the millisecond, when the values are
    all kept; else the sum rounded up, plus half a millisecond an invocation."""
    if agg.values and len(agg.values) == int(agg.count):
        return float(sum(math.ceil(v) for v in agg.values))
    return float(math.ceil(agg.sum + 0.5 * agg.count))


def usage(
    store: MetricStore,
    functions: Iterable[FunctionConfig],
    tables: Iterable[Table],
    start: float,
    end: float,
) -> list[Line]:
    lines: list[Line] = []
    configs = {f.name: f for f in functions}
    for where, agg in _aggregates(store, "AWS/Lambda", "Invocations", start, end):
        if set(where) != {"FunctionName"}:
            continue
        lines.append(Line("Lambda", where["FunctionName"], "lambda_requests", agg.sum))
    for where, agg in _aggregates(store, "AWS/Lambda", "Duration", start, end):
        if set(where) != {"FunctionName"}:
            continue
        fn = configs.get(where["FunctionName"]) or FunctionConfig(
            where["FunctionName"], 128, "x86_64"
        )
        gb_s = _billed_ms(agg) / 1000.0 * fn.memory_mb / 1024.0
        arch = "arm64" if fn.architecture == "arm64" else "x86_64"
        lines.append(Line("Lambda", fn.name, f"lambda_gb_seconds_{arch}", gb_s))
    for where, agg in _aggregates(store, "AWS/ApiGateway", "Count", start, end):
        if set(where) == {"ApiName"}:
            lines.append(Line("API Gateway", where["ApiName"], "apigateway_rest_requests", agg.sum))
        elif set(where) == {"ApiId"}:
            lines.append(Line("API Gateway", where["ApiId"], "apigateway_http_requests", agg.sum))
    sqs: dict[str, float] = {}
    for metric in (
        "NumberOfMessagesSent",
        "NumberOfMessagesReceived",
        "NumberOfEmptyReceives",
        "NumberOfMessagesDeleted",
    ):
        for where, agg in _aggregates(store, "AWS/SQS", metric, start, end):
            if "QueueName" in where:
                sqs[where["QueueName"]] = sqs.get(where["QueueName"], 0.0) + agg.sum
    lines += [Line("SQS", name, "sqs_requests", n) for name, n in sorted(sqs.items())]
    for where, agg in _aggregates(store, "AWS/SNS", "NumberOfMessagesPublished", start, end):
        if "TopicName" in where:
            lines.append(Line("SNS", where["TopicName"], "sns_publishes", agg.sum))
    by_name = {t.name: t for t in tables}
    for kind, key in (
        ("Read", "dynamodb_read_request_units"),
        ("Write", "dynamodb_write_request_units"),
    ):
        for where, agg in _aggregates(
            store, "AWS/DynamoDB", f"Consumed{kind}CapacityUnits", start, end
        ):
            if set(where) != {"TableName"}:
                continue
            table = by_name.get(where["TableName"])
            if table is not None and table.provisioned:
                continue  # provisioned capacity is paid by the hour, used or not
            lines.append(Line("DynamoDB", where["TableName"], key, agg.sum))
    for key, service in BILLED.items():
        for where, agg in _aggregates(store, BILLING, key, start, end):
            lines.append(Line(service, where.get("Resource", ""), key, agg.sum))
    hours = (end - start) / 3600.0
    for table in tables:
        if table.provisioned:
            lines.append(Line("DynamoDB", table.name, "dynamodb_rcu_hours", table.rcu * hours))
            lines.append(Line("DynamoDB", table.name, "dynamodb_wcu_hours", table.wcu * hours))
    return lines


def price(lines: list[Line], since_s: float, free_tier: bool, table: dict[str, Any]) -> Estimate:
    """Each line's cost over the window and per month; free tiers are per price key,
    shared by every line of that key (one account's allowance)."""
    estimate = Estimate(since_s, free_tier, lines)
    scale = MONTH_S / since_s if since_s > 0 else 0.0
    by_key: dict[str, list[Line]] = {}
    for line in lines:
        by_key.setdefault(line.price, []).append(line)
    for key, group in by_key.items():
        spec = table["prices"][key]
        unit_usd = float(spec["usd"]) / float(spec["per"])
        free = float(spec.get("free", 0)) if free_tier else 0.0
        total = sum(line.quantity for line in group)
        window_free = min(total, free * since_s / MONTH_S)
        monthly_total = total * scale
        monthly_free = min(monthly_total, free)
        for line in group:
            share = line.quantity / total if total else 0.0
            # max(0, ...): the free share is at most the quantity, but floating point can
            # leave -1e-20 behind, which would print as "-0.0000"
            line.usd = max(0.0, (line.quantity - window_free * share) * unit_usd)
            line.monthly_quantity = line.quantity * scale
            line.monthly_usd = max(0.0, (line.monthly_quantity - monthly_free * share) * unit_usd)
    return estimate
