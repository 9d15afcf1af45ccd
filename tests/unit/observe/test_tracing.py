"""Trace headers, the segments the tracer makes, assembly, filters and the daemon's datagrams."""

from __future__ import annotations

import json
from typing import Any

import pytest

from serverlite.observe import segment_records, trace_header
from serverlite.observe.service_graph import build
from serverlite.observe.trace_assembly import assemble, facts, summary
from serverlite.observe.trace_filter import FilterError, compile_filter
from serverlite.observe.tracing import Tracer
from serverlite.observe.xray_daemon import parse_datagram

ROOT = "1-5759e988-bd862e3fe1be46a994272793"


class Sink:
    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []

    def put(self, document: dict[str, Any]) -> None:
        self.docs.append(document)

    def record(self, item: tuple[Any, ...]) -> None:
        # As the store does when the trace is read, through its JSON form.
        self.docs.extend(segment_records.documents(json.loads(json.dumps(item))))


def test_trace_header_round_trip_and_refusals() -> None:
    parsed = trace_header.parse(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a:1")
    assert parsed == trace_header.TraceHeader(ROOT, "53995c3f42cd8ad8", True)
    assert parsed.format() == f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    assert trace_header.parse(f"Sampled=0;Root={ROOT}") == trace_header.TraceHeader(
        ROOT, None, False
    )
    canonical = trace_header.TraceHeader(ROOT, "53995c3f42cd8ad8", True)
    assert trace_header.parse(canonical.format()) == canonical
    assert trace_header.parse(f"Root={ROOT};Sampled=0") == trace_header.TraceHeader(
        ROOT, None, False
    )
    assert trace_header.parse(f"Root={ROOT}") == trace_header.TraceHeader(ROOT)
    assert trace_header.parse(f"Root={ROOT};Sampled=?") == trace_header.TraceHeader(ROOT)
    assert trace_header.parse("Root=nonsense") is None
    assert trace_header.parse("Parent=53995c3f42cd8ad8") is None
    assert trace_header.valid_root(trace_header.new_root(1e9))
    assert trace_header.new_root(0x5759E988 + 0.9).startswith("1-5759e988-")
    for made in (trace_header.new_id(), *trace_header.new_id_pair()):
        assert len(made) == 16 and int(made, 16) >= 0 and made == made.lower()
    header = trace_header.TraceHeader
    assert [
        header(ROOT, "53995c3f42cd8ad8", False).format(),
        header(ROOT, None, True).format(),
        header(ROOT, "53995c3f42cd8ad8").format(),
        header(ROOT).format(),
    ] == [
        f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0",
        f"Root={ROOT};Sampled=1",
        f"Root={ROOT};Parent=53995c3f42cd8ad8",
        f"Root={ROOT}",
    ]


def _invocation(tracer: Tracer, caller: str | None, **end: Any) -> None:
    span = tracer.begin_invocation(caller)
    tracer.end_invocation(span, "Fn", "arn:aws:lambda:us-east-1:1:function:Fn", "r", **end)


def test_an_invocation_is_a_lambda_segment_and_a_function_segment() -> None:
    sink = Sink()
    tracer = Tracer(sink, region="us-east-1", account_id="123456789012", clock=lambda: 100.0)
    span = tracer.begin_invocation(f"Root={ROOT};Parent=aaaaaaaaaaaaaaaa;Sampled=1")
    assert span.function_header == f"Root={ROOT};Parent={span.function_id};Sampled=1"
    tracer.end_invocation(span, "Fn", "arn:fn", "req", init_ms=50.0, duration_ms=0.0)
    service, function = sink.docs
    assert service["origin"] == "AWS::Lambda" and service["parent_id"] == "aaaaaaaaaaaaaaaa"
    assert function["origin"] == "AWS::Lambda::Function"
    assert function["parent_id"] == service["id"] == span.service_id
    assert [s["name"] for s in function["subsegments"]] == ["Initialization", "Invocation"]
    assert "fault" not in function


def test_an_unsampled_request_records_nothing_and_an_error_faults() -> None:
    sink = Sink()
    tracer = Tracer(sink, region="us-east-1", account_id="1")
    _invocation(tracer, f"Root={ROOT};Sampled=0")
    assert sink.docs == []
    _invocation(tracer, None, ok=False, error_type="ValueError", error_message="bad")
    function = sink.docs[1]
    assert function["fault"] is True
    invocation = function["subsegments"][-1]
    assert invocation["cause"]["exceptions"][0]["type"] == "ValueError"


def test_aws_calls_are_recorded_only_under_a_running_function() -> None:
    sink = Sink()
    tracer = Tracer(sink, region="us-east-1", account_id="1")
    assert tracer.begin_call(trace_header.TraceHeader(ROOT, "ffffffffffffffff", True)) is None
    span = tracer.begin_invocation(None)
    header = trace_header.parse(span.function_header)
    call = tracer.begin_call(header)
    assert call is not None and call.header.parent != span.function_id
    tracer.end_call(call, "DynamoDB", "PutItem", {"TableName": "T"}, {}, "rid", None)
    doc = sink.docs[0]
    assert doc["type"] == "subsegment" and doc["parent_id"] == span.function_id
    assert doc["name"] == "dynamodb" and doc["namespace"] == "aws"
    assert doc["aws"]["operation"] == "PutItem" and doc["aws"]["table_name"] == "T"
    tracer.end_invocation(span, "Fn", "arn", "r")
    assert tracer.begin_call(header) is None  # the invocation ended


def _trace() -> list[dict[str, Any]]:
    return [
        {
            "trace_id": ROOT,
            "id": "a" * 16,
            "name": "Api/Prod",
            "origin": "AWS::ApiGateway::Stage",
            "start_time": 10.0,
            "end_time": 10.5,
            "http": {
                "request": {"method": "GET", "url": "http://x/y"},
                "response": {"status": 502},
            },
            "fault": True,
        },
        {
            "trace_id": ROOT,
            "id": "b" * 16,
            "parent_id": "a" * 16,
            "name": "Fn",
            "origin": "AWS::Lambda::Function",
            "start_time": 10.1,
            "end_time": 10.4,
        },
        {
            "type": "subsegment",
            "trace_id": ROOT,
            "id": "c" * 16,
            "parent_id": "b" * 16,
            "name": "dynamodb",
            "namespace": "aws",
            "start_time": 10.2,
            "end_time": 10.3,
            "aws": {"operation": "GetItem", "table_name": "Items"},
            "annotations": {"customer": "ada", "size": 3},
        },
    ]


def test_assembly_nests_independent_subsegments_and_summarises() -> None:
    segments = assemble(_trace())
    assert [s["id"] for s in segments] == ["a" * 16, "b" * 16]
    sub = segments[1]["subsegments"][0]
    assert sub["id"] == "c" * 16 and "trace_id" not in sub
    found = facts(ROOT, segments)
    assert found.response_time == pytest.approx(0.5)
    result = summary(found, "1")
    assert result["HasFault"] and result["Http"]["HttpStatus"] == 502
    assert {
        "Name": "Items",
        "Names": ["Items"],
        "AccountId": "1",
        "Type": "AWS::DynamoDB::Table",
    } in result["ServiceIds"]
    assert result["Annotations"]["size"] == [{"AnnotationValue": {"NumberValue": 3}}]


@pytest.mark.parametrize(
    ("expression", "matches"),
    [
        ('service("Fn")', True),
        ('service("Other")', False),
        ('service(id(name: "Items", type: "AWS::DynamoDB::Table"))', True),
        ("responsetime > 0.4", True),
        ("responsetime > 1", False),
        ("fault", True),
        ("error", False),
        ("!error AND fault", True),
        ("http.status = 502", True),
        ("http.status = 200 OR ok", False),
        ('annotation.customer = "ada"', True),
        ("annotation.size >= 4", False),
        ('http.url CONTAINS "/y"', True),
        ('(error OR fault) AND service("Api/Prod")', True),
        ("duration < 1", True),
    ],
)
def test_filter_expressions(expression: str, matches: bool) -> None:
    found = facts(ROOT, assemble(_trace()))
    assert compile_filter(expression)(found) is matches


@pytest.mark.parametrize(
    "expression", ["edge(", "groupname = x", "responsetime >", "http.status 5"]
)
def test_a_filter_it_cannot_read_is_refused(expression: str) -> None:
    with pytest.raises(FilterError):
        compile_filter(expression)


def test_service_graph_edges_follow_parents() -> None:
    services = build([assemble(_trace())], "1")
    by_name = {s["Name"]: s for s in services}
    api, fn, table = by_name["Api/Prod"], by_name["Fn"], by_name["Items"]
    assert api["Root"] and not fn["Root"]
    assert [e["ReferenceId"] for e in api["Edges"]] == [fn["ReferenceId"]]
    assert [e["ReferenceId"] for e in fn["Edges"]] == [table["ReferenceId"]]
    assert api["SummaryStatistics"]["FaultStatistics"]["TotalCount"] == 1


def test_daemon_datagrams() -> None:
    doc = {"trace_id": ROOT, "id": "a" * 16, "name": "x", "start_time": 1.0}
    header = b'{"format": "json", "version": 1}\n'
    assert parse_datagram(header + json.dumps(doc).encode()) == doc
    assert parse_datagram(json.dumps(doc).encode()) is None  # no header line
    assert parse_datagram(b'{"format": "json", "version": 2}\n' + json.dumps(doc).encode()) is None
    assert parse_datagram(header + b"not json") is None


def test_the_stage_segment_and_its_integration_subsegment() -> None:
    sink = Sink()
    tracer = Tracer(sink, region="eu-west-1", account_id="1")
    header = trace_header.TraceHeader(ROOT, "cccccccccccccccc", True)
    for status in (200, 429, 502):
        tracer.api_segment(
            header,
            "a" * 16,
            "b" * 16,
            name="Api/Prod",
            api_id="abc",
            stage="Prod",
            request_id="rid",
            method="GET",
            url="http://h/x",
            client_ip="127.0.0.1",
            status=status,
            start=1.0,
            end=2.0,
            integration=(1.1, 1.9) if status != 429 else None,
            function_name="Fn",
        )
    ok, throttled, failed = sink.docs
    assert ok["origin"] == "AWS::ApiGateway::Stage" and ok["parent_id"] == "c" * 16
    assert ok["resource_arn"] == "arn:aws:apigateway:eu-west-1::/restapis/abc/stages/Prod"
    assert ok["http"] == {
        "request": {"method": "GET", "url": "http://h/x", "client_ip": "127.0.0.1"},
        "response": {"status": 200},
    }
    assert ok["subsegments"] == [
        {
            "id": "b" * 16,
            "name": "Lambda",
            "namespace": "aws",
            "start_time": 1.1,
            "end_time": 1.9,
            "aws": {
                "function_name": "Fn",
                "region": "eu-west-1",
                "operation": "Invoke",
                "resource_names": ["Fn"],
            },
        }
    ]
    assert not {"error", "fault", "throttle"} & set(ok)
    assert throttled["throttle"] is throttled["error"] is True and "subsegments" not in throttled
    assert failed["fault"] is True and "error" not in failed


def test_an_async_invocation_waits_then_attempts_and_reads_the_same_every_time() -> None:
    sink = Sink()
    tracer = Tracer(sink, region="us-east-1", account_id="1", clock=lambda: 100.0)
    span = tracer.begin_invocation(f"Root={ROOT};Sampled=1")
    tracer.end_invocation(
        span,
        "Fn", "arn", "r", ok=False, platform_error="Sandbox.Timedout", enqueued_at=90.0,
        attempt=2,
    )  # fmt: skip
    service, function = sink.docs
    assert service["start_time"] == 90.0 and service["fault"] is True
    dwell, attempt = service["subsegments"]
    assert (dwell["name"], dwell["start_time"], dwell["end_time"]) == ("Dwell Time", 90.0, 100.0)
    assert attempt["name"] == "Attempt #2" and attempt["start_time"] == 100.0
    invocation = function["subsegments"][-1]
    assert invocation["cause"]["exceptions"][0]["type"] == "Sandbox.Timedout"
    ids = [service["id"], function["id"], dwell["id"], attempt["id"], invocation["id"]]
    ids.append(invocation["cause"]["exceptions"][0]["id"])
    assert len(set(ids)) == len(ids) and all(len(i) == 16 for i in ids)
    # Documents are made from the stored record each time the trace is read: the same.
    again = Sink()
    record = (segment_records.INVOCATION, ROOT, 90.0, 100.0, 100.5, None, "1" * 16, "2" * 16)
    record += ("1", "Fn", "arn", "r", True, None, None, None, None, None, False, 90.0, 1)
    again.record(record)
    again.record(record)
    assert again.docs[:2] == again.docs[2:]


def test_a_throttled_invocation_is_the_service_segment_alone() -> None:
    sink = Sink()
    tracer = Tracer(sink, region="us-east-1", account_id="1")
    _invocation(tracer, None, ok=False, throttled=True)
    (service,) = sink.docs
    assert service["http"]["response"]["status"] == 429
    assert service["throttle"] is service["error"] is True


def test_a_failed_aws_call_is_a_remote_exception() -> None:
    sink = Sink()
    tracer = Tracer(sink, region="us-east-1", account_id="1")
    span = tracer.begin_invocation(None)
    call = tracer.begin_call(trace_header.parse(span.function_header))
    assert call is not None
    tracer.end_call(
        call, "SQS", "SendMessage", {"QueueUrl": "http://q/1/Q"}, None, "rid", (400, "Nope")
    )
    (doc,) = sink.docs
    assert doc["error"] is True and doc["http"]["response"]["status"] == 400
    assert doc["cause"]["exceptions"][0]["type"] == "Nope"
    assert doc["cause"]["exceptions"][0]["remote"] is True
    assert doc["aws"]["queue_url"] == "http://q/1/Q" and doc["name"] == "sqs"
