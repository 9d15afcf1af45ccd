"""The trace store keeps documents as sent and serverlite's own segments as records, and
reads both back as X-Ray documents in the order they arrived."""

from __future__ import annotations

import sqlite3

import pytest

from serverlite.observe.traces import TraceStore
from serverlite.observe.tracing import Tracer

pytestmark = pytest.mark.integration
ROOT = "1-5759e988-bd862e3fe1be46a994272793"


def test_records_and_documents_of_a_trace_read_back_in_order(tmp_path):
    store = TraceStore(tmp_path / "traces.db", clock=lambda: 100.0)
    tracer = Tracer(store, region="us-east-1", account_id="1", clock=lambda: 100.0)
    try:
        sent = {"trace_id": ROOT, "id": "d" * 16, "name": "client", "start_time": 95.0}
        store.put(sent)  # PutTraceSegments, the daemon
        span = tracer.begin_invocation(f"Root={ROOT};Parent={'d' * 16};Sampled=1")
        tracer.end_invocation(span, "Fn", "arn:fn", "r", enqueued_at=80.0)
        store.flush()
        docs = store.documents([ROOT])[ROOT]
        assert [d.get("origin") for d in docs] == [None, "AWS::Lambda", "AWS::Lambda::Function"]
        assert docs[0] == sent
        assert docs[1]["parent_id"] == "d" * 16 and docs[2]["parent_id"] == docs[1]["id"]
        assert store.documents([ROOT])[ROOT] == docs  # made the same way on every read
        # The row's start is the earliest of its documents (the event's Dwell Time).
        assert store.trace_ids(79.0, 81.0) == [ROOT]
        with sqlite3.connect(store.path) as conn:
            assert conn.execute("SELECT count, start FROM trace_batches").fetchall() == [(3, 80.0)]
    finally:
        store.close()


def test_a_reader_opened_read_only_makes_documents_from_stored_records(tmp_path):
    writer = TraceStore(tmp_path / "traces.db")
    tracer = Tracer(writer, region="us-east-1", account_id="1")
    span = tracer.begin_invocation(f"Root={ROOT};Sampled=1")
    tracer.end_invocation(span, "Fn", "arn:fn", "r", ok=False, throttled=True)
    writer.close()
    reader = TraceStore(tmp_path / "traces.db", read_only=True)
    (service,) = reader.documents([ROOT])[ROOT]
    assert service["throttle"] is True and service["id"] == span.service_id
