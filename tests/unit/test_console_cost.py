"""The console's cost chart: a bar per function, of the GB-seconds it was priced for."""

from __future__ import annotations

from serverlite.console.cost import gb_seconds
from serverlite.cost.estimate import Line


def test_gb_seconds_per_function_largest_first() -> None:
    lines = [
        Line("Lambda", "small", "lambda_requests", 50.0),
        Line("Lambda", "small", "lambda_gb_seconds_x86_64", 1.5),
        Line("Lambda", "big", "lambda_gb_seconds_arm64", 9.0),
        Line("DynamoDB", "big", "dynamodb_on_demand_write", 7.0),
    ]
    assert gb_seconds(lines) == [("big", 9.0), ("small", 1.5)]
