"""EMF extraction, statistics, metric math and log filter patterns, without I/O."""

from __future__ import annotations

import json

import pytest

from serverlite.observe import statistics
from serverlite.observe.emf import EmfError, parse
from serverlite.observe.filter_pattern import PatternError, compile_pattern
from serverlite.observe.metric_math import Grid, MathError, TimeSeries, evaluate
from serverlite.observe.metrics import Aggregate


def test_emf_document_becomes_metrics_per_dimension_set() -> None:
    doc = {
        "_aws": {
            "Timestamp": 1_700_000_000_000,
            "CloudWatchMetrics": [
                {
                    "Namespace": "Shop",
                    "Dimensions": [["service"], ["service", "region"]],
                    "Metrics": [{"Name": "Orders", "Unit": "Count", "StorageResolution": 1}],
                }
            ],
        },
        "service": "orders",
        "region": "eu",
        "Orders": [1, 2],
    }
    (metric,) = parse(json.dumps(doc), 0)
    assert metric.namespace == "Shop" and metric.values == (1.0, 2.0)
    assert metric.dimension_sets == (
        (("service", "orders"),),
        (("region", "eu"), ("service", "orders")),
    )
    assert metric.resolution == 1 and metric.timestamp_ms == 1_700_000_000_000
    assert parse("not json at all", 0) == []
    doc["Orders"] = "many"
    with pytest.raises(EmfError):
        parse(json.dumps(doc), 0)


def test_statistics_and_percentiles() -> None:
    agg = Aggregate()
    for v in range(1, 101):
        agg.add(float(v))
    assert statistics.value(agg, "SampleCount") == 100
    assert statistics.value(agg, "Average") == 50.5
    assert statistics.value(agg, "p90") == 90
    assert statistics.value(agg, "p99.9") == 100
    assert statistics.value(agg, "tm10") == 5.5
    assert statistics.valid("p50") and not statistics.valid("p500")


def test_metric_math() -> None:
    grid = Grid(0, 300, 60)
    m1 = TimeSeries({0: 1.0, 60: 2.0, 120: 4.0})
    m2 = TimeSeries({0: 10.0, 120: 20.0})
    queries = {"m1": m1, "m2": m2}
    assert evaluate("m1 * 2 + 1", queries, grid).points == {0: 3.0, 60: 5.0, 120: 9.0}  # type: ignore[union-attr]
    assert evaluate("m1 + m2", queries, grid).points == {0: 11.0, 120: 24.0}  # type: ignore[union-attr]
    assert evaluate("SUM(METRICS())", queries, grid).points == {0: 11.0, 60: 2.0, 120: 24.0}  # type: ignore[union-attr]
    assert evaluate("AVG(m1)", queries, grid) == pytest.approx(7 / 3)
    assert evaluate("FILL(m2, 0)", queries, grid).points == {
        0: 10.0,
        60: 0.0,
        120: 20.0,
        180: 0.0,
        240: 0.0,
    }  # type: ignore[union-attr]
    assert evaluate("FILL(m2, LINEAR)", queries, grid).points[60] == 15.0  # type: ignore[union-attr]
    assert evaluate("RATE(m1)", queries, grid).points == {60: 1 / 60, 120: 2 / 60}  # type: ignore[union-attr]
    with pytest.raises(MathError):
        evaluate("ANOMALY_DETECTION_BAND(m1)", queries, grid)
    with pytest.raises(MathError):
        evaluate("m3 + 1", queries, grid)


@pytest.mark.parametrize(
    ("pattern", "message", "matches"),
    [
        ("", "anything", True),
        ("ERROR", "an ERROR here", True),
        ("ERROR", "an error here", False),
        ("ERROR timeout", "ERROR: timeout", True),
        ('"disk full"', "disk is full", False),
        ("ERROR -retry", "ERROR, will retry", False),
        ("?ERROR ?WARN", "WARN: slow", True),
        ('{ $.level = "ERR*" }', '{"level": "ERROR"}', True),
        ("{ $.latency > 100 && $.ok IS TRUE }", '{"latency": 150, "ok": true}', True),
        ("{ $.items[0].sku = LAMP }", '{"items": [{"sku": "LAMP"}]}', False),
        ('{ $.items[0].sku = "LAMP" }', '{"items": [{"sku": "LAMP"}]}', True),
        ("{ $.user NOT EXISTS }", '{"id": 1}', True),
        ("[ip, user, ..., status = 404, size]", '1.2.3.4 ada "GET /x" 404 512', True),
        ("[ip, user, ..., status = 404, size]", '1.2.3.4 ada "GET /x" 200 512', False),
    ],
)
def test_filter_patterns(pattern: str, message: str, matches: bool) -> None:
    try:
        matcher = compile_pattern(pattern)
    except PatternError:
        assert not matches
        return
    assert matcher(message) is matches
