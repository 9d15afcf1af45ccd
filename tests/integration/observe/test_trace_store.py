"""The trace store keeps documents as sent and serverlite's own segments as records, and
reads both back as X-Ray documents in the order they arrived."""

from __future__ import annotations

import json
import sqlite3

import pytest

from serverlite.observe import trace_header
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


def _doc(trace_id: str, start: float, name: str = "client") -> dict[str, object]:
    return {"trace_id": trace_id, "id": "e" * 16, "name": name, "start_time": start}


def _strays(path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT trace_id, stray FROM trace_batches"))


def test_traces_are_found_near_the_second_their_id_names_and_as_strays_elsewhere(tmp_path):
    second = 0x5759E988
    near_before = "1-5759e988-000000000000000000000001"  # began just before its id's second
    near_after = "1-5759e988-000000000000000000000002"  # ran into the next second
    later = "1-5759e988-000000000000000000000003"  # continued a day later (a retry, SQS)
    upper = "1-5759E988-000000000000000000000004"  # a client's id in capitals
    other = "not-an-x-ray-id"
    store = TraceStore(tmp_path / "traces.db", clock=lambda: second + 90_000.0)
    try:
        store.put(_doc(near_before, second - 0.5))
        store.put(_doc(near_after, second + 1.9))
        store.put(_doc(later, second + 86_400.0))
        store.put(_doc(upper, second + 0.5))
        store.put(_doc(other, second + 0.5))
        store.flush()
        store.put(_doc(near_before, second + 0.2, "second batch"))  # a row of its own
        store.flush()
        assert _strays(store.path) == {near_before: 0, near_after: 0, later: 1, upper: 1, other: 1}
        ids = [near_before, near_after, later, upper, other, "1-5759e988-" + "f" * 24]
        found = store.documents(ids)
        assert {trace_id: [d["name"] for d in docs] for trace_id, docs in found.items()} == {
            near_before: ["client", "second batch"],
            near_after: ["client"],
            later: ["client"],
            upper: ["client"],
            other: ["client"],
        }
        for trace_id in ids[:5]:  # alone as well as in a run of ids
            assert store.documents([trace_id])[trace_id] == found[trace_id]
        with sqlite3.connect(store.path) as conn:
            indexes = {row[1] for row in conn.execute("PRAGMA index_list(trace_batches)")}
        assert "trace_batches_trace" not in indexes  # no random insert into every row's id
    finally:
        store.close()


def test_records_of_every_kind_and_documents_of_two_traces_read_back_apart(tmp_path):
    other = "1-5759e988-" + "1" * 24
    store = TraceStore(tmp_path / "traces.db", clock=lambda: 0x5759E988 + 1.0)
    tracer = Tracer(store, region="us-east-1", account_id="1", clock=lambda: 0x5759E988 + 0.5)
    try:
        header, segment_id, integration_id, function = tracer.api_request(None, ROOT)
        span = tracer.begin_invocation(function)
        store.put(_doc(other, 0x5759E988 + 0.2, "other's"))
        call = tracer.begin_call(trace_header.parse(span.function_header))
        assert call is not None
        tracer.end_call(call, "DynamoDB", "GetItem", {"TableName": "T"}, {}, "req", None)
        tracer.end_invocation(span, "Fn", "arn:fn", "r")
        store.put(_doc(other, 0x5759E988 + 0.3, "other's too"))
        tracer.api_segment(
            header,
            segment_id,
            integration_id,
            name="Api/Prod",
            api_id="a",
            stage="Prod",
            request_id="r",
            method="GET",
            url="http://h/",
            client_ip="127.0.0.1",
            status=200,
            start=0x5759E988 + 0.4,
            end=0x5759E988 + 0.6,
            integration=(0x5759E988 + 0.45, 0x5759E988 + 0.55),
            function_name="Fn",
        )
        store.flush()
        found = store.documents([ROOT, other])
        assert [d["name"] for d in found[other]] == ["other's", "other's too"]
        assert [(d["name"], d.get("origin")) for d in found[ROOT]] == [
            ("dynamodb", None),
            ("Fn", "AWS::Lambda"),
            ("Fn", "AWS::Lambda::Function"),
            ("Api/Prod", "AWS::ApiGateway::Stage"),
        ]
        assert found[ROOT][0]["aws"]["table_name"] == "T"
    finally:
        store.close()


def test_a_large_batch_is_written_whole_and_read_back_in_order(tmp_path):
    # 250 traces in one batch: rows written a hundred a statement, then the rest.
    second = 0x5759E988
    ids = [f"1-5759e988-{n:024x}" for n in range(250)]
    store = TraceStore(tmp_path / "traces.db", clock=lambda: second + 10.0)
    assert store._writer is not None
    try:
        with store._writer as batch:  # all in one batch, however slow the machine
            for n, trace_id in enumerate(ids):
                batch.append(_doc(trace_id, second + n / 1000, f"first {n}"))
            for n, trace_id in enumerate(ids):
                batch.append(_doc(trace_id, second + 0.5, f"then {n}"))
        store.flush()
        found = store.documents(ids)
        assert {t: [d["name"] for d in docs] for t, docs in found.items()} == {
            trace_id: [f"first {n}", f"then {n}"] for n, trace_id in enumerate(ids)
        }
        with sqlite3.connect(store.path) as conn:
            rows = conn.execute("SELECT trace_id, count, stray FROM trace_batches ORDER BY seq")
            assert rows.fetchall() == [(trace_id, 2, 0) for trace_id in ids]
        conn.close()
    finally:
        store.close()


def test_a_document_with_a_start_that_is_no_number_keeps_its_batch(tmp_path):
    store = TraceStore(tmp_path / "traces.db", clock=lambda: 200.0)
    try:
        store.put(_doc(ROOT, float("nan")))
        store.put({"trace_id": ROOT, "id": "f" * 16, "name": "text", "start_time": "soon"})
        store.put(_doc(ROOT, 100.0, "fine"))
        store.flush()
        assert [d["name"] for d in store.documents([ROOT])[ROOT]] == ["client", "text", "fine"]
    finally:
        store.close()


# traces.db as serverlite wrote it before rows were stray: every row's id indexed.
_OLD_SCHEMA = """
CREATE TABLE trace_batches (
    seq INTEGER PRIMARY KEY,
    trace_id TEXT NOT NULL,
    start REAL NOT NULL,
    count INTEGER NOT NULL,
    docs TEXT NOT NULL
);
CREATE INDEX trace_batches_trace ON trace_batches (trace_id);
CREATE INDEX trace_batches_start ON trace_batches (start);
"""


def test_a_store_from_before_is_read_as_it_is_and_migrated_by_a_writer(tmp_path):
    path = tmp_path / "traces.db"
    near = "1-5759e988-00000000000000000000000a"
    with sqlite3.connect(path) as conn:
        conn.executescript(_OLD_SCHEMA)
        for trace_id, start in ((ROOT, 0x5759E988 - 3600.0), (near, 0x5759E988 + 0.5)):
            conn.execute(
                "INSERT INTO trace_batches (trace_id, start, count, docs) VALUES (?, ?, 1, ?)",
                (trace_id, start, json.dumps([_doc(trace_id, start, "old")])),
            )
    conn.close()
    reader = TraceStore(path, read_only=True)  # `serverlite traces` on an old state
    old = reader.documents([ROOT, near])
    assert {t: [d["name"] for d in docs] for t, docs in old.items()} == {
        ROOT: ["old"],
        near: ["old"],
    }
    writer = TraceStore(path, clock=lambda: 0x5759E988 + 1.0)  # `serverlite up` migrates
    try:
        assert _strays(path) == {ROOT: 1, near: 1}  # kept rows: found by their ids
        with sqlite3.connect(path) as conn:
            indexes = {row[1] for row in conn.execute("PRAGMA index_list(trace_batches)")}
        conn.close()
        assert indexes == {"trace_batches_start", "trace_batches_stray"}
        writer.put(_doc(near, 0x5759E988 + 0.7, "new"))
        writer.flush()
        got = writer.documents([ROOT, near])
        assert {t: [d["name"] for d in docs] for t, docs in got.items()} == {
            ROOT: ["old"],
            near: ["old", "new"],
        }
        assert writer.trace_ids(0, 2**32) == [near, ROOT]
    finally:
        writer.close()
    TraceStore(path).close()  # migrated once: opening again changes nothing
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT trace_id, stray FROM trace_batches ORDER BY seq").fetchall()
    conn.close()
    assert rows == [(ROOT, 1), (near, 1), (near, 0)]
