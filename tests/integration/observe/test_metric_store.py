"""What the gateway and the invoker publish reaches the metric store as statistic sets:
values recorded by number on the hot path (record_values) add up per minute exactly as
values recorded one by one, beside them in the same minute."""

from __future__ import annotations

import pytest

from serverlite.observe.metrics import MetricStore, dims
from serverlite.observe.publishing import API, LAMBDA, Publisher

pytestmark = pytest.mark.integration
NOW = 1_800_000_030.0  # half a minute into a minute


def _point(store: MetricStore, namespace: str, name: str, **dimensions: str) -> tuple:
    series = store.find(namespace, name, dims(**dimensions))
    assert series is not None, (namespace, name, dimensions)
    (agg,) = store.datapoints([series.id], NOW - 60, NOW + 60, 60).values()
    return agg.count, agg.sum, agg.min, agg.max, sorted(agg.values), agg.unit


def test_invocations_and_requests_add_up_per_minute(tmp_path):
    store = MetricStore(tmp_path / "metrics.db", clock=lambda: NOW)
    publisher = Publisher(store)
    try:
        for duration, error in ((3.0, False), (1.0, True), (2.0, False)):
            publisher.invocation("Fn", duration, error, concurrent=2)
        # A value recorded the other way in the same minute joins the same datapoint.
        store.record(LAMBDA, "Duration", (dims(FunctionName="Fn"),), 5.0, "Milliseconds")
        for status, integration in ((200, 4.0), (404, None), (502, 6.0)):
            publisher.api_request(
                rest=True,
                api_name="Api",
                api_id="abc",
                stage="Prod",
                status=status,
                latency_ms=10.0,
                integration_ms=integration,
                bytes_processed=7,
            )
        publisher.api_request(
            rest=False,
            api_name="HttpApi",
            api_id="h1",
            stage="$default",
            status=200,
            latency_ms=1.0,
            integration_ms=None,
            bytes_processed=7,
        )
        fn = {"FunctionName": "Fn"}
        assert _point(store, LAMBDA, "Invocations", **fn)[:2] == (3, 3.0)
        assert _point(store, LAMBDA, "Errors", **fn)[:4] == (3, 1.0, 0.0, 1.0)
        assert _point(store, LAMBDA, "Duration", **fn) == (
            4,
            11.0,
            1.0,
            5.0,
            [1.0, 2.0, 3.0, 5.0],
            "Milliseconds",
        )
        assert _point(store, LAMBDA, "Duration", FunctionName="Fn", Resource="Fn")[0] == 3
        assert _point(store, LAMBDA, "ConcurrentExecutions")[3] == 2.0  # the account
        rest = {"ApiName": "Api", "Stage": "Prod"}
        assert _point(store, API, "Count", **rest)[:2] == (3, 3.0)
        assert _point(store, API, "4XXError", ApiName="Api")[:2] == (3, 1.0)
        assert _point(store, API, "5XXError", **rest)[:2] == (3, 1.0)
        assert _point(store, API, "IntegrationLatency", **rest)[:2] == (2, 10.0)
        assert store.find(API, "DataProcessed", dims(ApiName="Api")) is None  # HTTP APIs only
        assert _point(store, API, "DataProcessed", ApiId="h1")[:2] == (1, 7.0)
        assert store.find(API, "IntegrationLatency", dims(ApiId="h1")) is None
    finally:
        store.close()


def test_a_reset_drops_values_and_unlists_series_until_new_data(tmp_path):
    store = MetricStore(tmp_path / "metrics.db", clock=lambda: NOW)
    try:
        Publisher(store).invocation("Fn", 1.0, False, concurrent=1)
        store.clear()  # before the values were flushed
        assert store.series(LAMBDA, "Invocations", since=NOW - 60) == []
        store.record("Custom", "Errors", ((),), 3.0, timestamp=NOW)
        assert [s.name for s in store.series("Custom")] == ["Errors"]  # flushed, listed
        store.clear()
        assert store.series("Custom") == []  # known, but without data since the reset
        store.record("Custom", "Errors", ((),), 1.0, timestamp=NOW)
        assert [s.name for s in store.series("Custom")] == ["Errors"]
    finally:
        store.close()


def test_values_are_kept_exactly_infinity_too(tmp_path):
    # The values are written by orjson; what it cannot write (EMF may send Infinity,
    # which Python's json reads) is written as json writes it, and read back the same.
    store = MetricStore(tmp_path / "metrics.db", clock=lambda: NOW)
    try:
        for value in (0.1, 1e-07, 1e16, 2.5):
            store.record("Custom", "Kept", ((),), value, timestamp=NOW)
        store.record("Custom", "Odd", ((),), float("inf"), timestamp=NOW)
        store.record("Custom", "Odd", ((),), 1.5, timestamp=NOW)
        assert _point(store, "Custom", "Kept")[4] == [1e-07, 0.1, 2.5, 1e16]
        assert _point(store, "Custom", "Odd")[4] == [1.5, float("inf")]
    finally:
        store.close()


def test_values_recorded_across_a_minute_boundary_land_in_their_minutes(tmp_path):
    now = [NOW - 40]  # the minute before NOW's
    store = MetricStore(tmp_path / "metrics.db", clock=lambda: now[0])
    try:
        publisher = Publisher(store)
        publisher.invocation("Fn", 1.0, False, concurrent=1)
        now[0] = NOW
        publisher.invocation("Fn", 2.0, True, concurrent=1)
        publisher.invocation("Fn", 4.0, False, concurrent=1)
        store.flush()  # one flush takes the three
        series = store.find(LAMBDA, "Duration", dims(FunctionName="Fn"))
        assert series is not None
        points = store.datapoints([series.id], NOW - 120, NOW + 60, 60)
        minute = int(NOW) - int(NOW) % 60
        assert {ts: sorted(agg.values) for ts, agg in points.items()} == {
            minute - 60: [1.0],
            minute: [2.0, 4.0],
        }
    finally:
        store.close()
