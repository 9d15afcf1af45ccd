"""Trace headers, the segments the tracer makes, assembly, filters and the daemon's datagrams."""

from __future__ import annotations

import json
from typing import Any

import pytest

from serverlite.observe import trace_header
from serverlite.observe.service_graph import build
from serverlite.observe.trace_assembly import assemble, facts, summary
from serverlite.observe.trace_filter import FilterError, compile_filter
from serverlite.observe.tracing import InvocationEnd, Tracer
from serverlite.observe.xray_daemon import parse_datagram

ROOT = "1-5759e988-bd862e3fe1be46a994272793"


class Sink:
    def __init__(self) -> None:
        self.docs: list[dict[str, Any]] = []

    def put(self, document: dict[str, Any]) -> None:
        self.docs.append(document)


def test_trace_header_round_trip_and_refusals() -> None:
    parsed = trace_header.parse(f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a:1")
    assert parsed == trace_header.TraceHeader(ROOT, "53995c3f42cd8ad8", True)
    assert parsed.format() == f"Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1"
    assert trace_header.parse(f"Sampled=0;Root={ROOT}") == trace_header.TraceHeader(
        ROOT, None, False
    )
    assert trace_header.parse("Root=nonsense") is None
    assert trace_header.parse("Parent=53995c3f42cd8ad8") is None
    assert trace_header.valid_root(trace_header.new_root(1e9))
    assert len(trace_header.new_id()) == 16


def _invocation(tracer: Tracer, caller: str | None, **end: Any) -> None:
    span = tracer.begin_invocation(caller)
    tracer.end_invocation(
        span, InvocationEnd("Fn", "arn:aws:lambda:us-east-1:1:function:Fn", "r", **end)
    )


def test_an_invocation_is_a_lambda_segment_and_a_function_segment() -> None:
    sink = Sink()
    tracer = Tracer(sink, region="us-east-1", account_id="123456789012", clock=lambda: 100.0)
    span = tracer.begin_invocation(f"Root={ROOT};Parent=aaaaaaaaaaaaaaaa;Sampled=1")
    assert span.function_header == f"Root={ROOT};Parent={span.function_id};Sampled=1"
    tracer.end_invocation(span, InvocationEnd("Fn", "arn:fn", "req", init_ms=50.0, duration_ms=0.0))
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
    tracer.end_invocation(span, InvocationEnd("Fn", "arn", "r"))
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
