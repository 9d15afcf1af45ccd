"""One request through orders -> invoices is one X-Ray trace (seed 001).

The synchronous path crosses two APIs (orders calls invoices over HTTP, passing the
trace header on); the asynchronous one crosses a queue (SQS keeps the sender's trace
header as AWSTraceHeader, and the mapping's invocation continues it). Each test reads
the trace back through the X-Ray API with boto3 and checks the segments' parents.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.conftest import Server, aws_client, start_server, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SERVICE = Path(__file__).resolve().parents[3] / "services" / "orders"
ORDER = {"customer": "Ada", "items": [{"sku": "LAMP-1", "qty": 2, "price": "19.99"}]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        SERVICE / "template.yaml", tmp_path_factory.mktemp("traces") / "s", "--port", "0"
    )
    aws_client(server, "ssm").put_parameter(
        Name="/orders-demo/invoices/failure-mode", Value="none", Type="String", Overwrite=True
    )
    yield server
    server.stop()


def _trace(server: Server, root: str, wanted: set[str], timeout: float = 30) -> list[dict]:
    """The trace's segments once every function in ``wanted`` has its function segment."""
    xray = aws_client(server, "xray")
    deadline = time.monotonic() + timeout
    segments: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        if traces:
            segments = [json.loads(s["Document"]) for s in traces[0]["Segments"]]
            names = {s["name"] for s in segments if s.get("origin") == "AWS::Lambda::Function"}
            if wanted <= names:
                return segments
        time.sleep(0.2)
    raise AssertionError(f"trace {root} never covered {wanted}: {segments}")


def _nodes(segments: list[dict]) -> dict[str, dict]:
    """Every segment and subsegment by id."""
    found: dict[str, dict] = {}

    def walk(node: dict) -> None:
        found[node["id"]] = node
        for sub in node.get("subsegments", []):
            walk(sub)

    for seg in segments:
        walk(seg)
    return found


def _one(segments: list[dict], origin: str, name: str) -> dict:
    matching = [s for s in segments if s.get("origin") == origin and s["name"] == name]
    assert len(matching) == 1, (origin, name, [(s["name"], s.get("origin")) for s in segments])
    return matching[0]


def _calls(segment: dict) -> list[tuple[str, str]]:
    return [
        (sub["name"], sub["aws"]["operation"])
        for sub in segment.get("subsegments", [])
        if sub.get("namespace") == "aws"
    ]


def test_async_order_is_one_trace_across_the_queue(server: Server) -> None:
    root = f"1-{int(time.time()):08x}-{0xA51C:024x}"
    response = httpx.post(
        f"{server.api_base('OrdersApi')}/orders/async",
        json=ORDER,
        headers={"X-Amzn-Trace-Id": f"Root={root};Sampled=1", "Host": "orders.localhost"},
        timeout=30,
    )
    assert response.status_code == 202
    segments = _trace(server, root, {"CreateOrderAsync", "ProcessOrderPlaced"})
    nodes = _nodes(segments)
    stage = _one(segments, "AWS::ApiGateway::Stage", "OrdersApi/$default")
    # The URL the client used, its Host header included.
    assert stage["http"]["request"]["url"] == "http://orders.localhost/orders/async"
    assert stage["http"]["request"]["method"] == "POST"
    front = _one(segments, "AWS::Lambda", "CreateOrderAsync")
    function = _one(segments, "AWS::Lambda::Function", "CreateOrderAsync")
    # gateway -> its Lambda integration subsegment -> Lambda -> the function
    integration = nodes[front["parent_id"]]
    assert integration["name"] == "Lambda" and integration in stage["subsegments"]
    assert function["parent_id"] == front["id"]
    assert ("dynamodb", "PutItem") in _calls(function)
    assert ("sqs", "SendMessage") in _calls(function)
    send = next(s for s in function["subsegments"] if s["name"] == "sqs")
    assert (
        send["aws"]["queue_url"].endswith("OrderPlacedQueue")
        or "queue" in send["aws"]["queue_url"].lower()
    )
    # the queue hop: the consumer's Lambda segment hangs under the SendMessage call
    consumer = _one(segments, "AWS::Lambda", "ProcessOrderPlaced")
    assert consumer["parent_id"] == send["id"]
    worker = _one(segments, "AWS::Lambda::Function", "ProcessOrderPlaced")
    assert worker["parent_id"] == consumer["id"]
    assert ("dynamodb", "PutItem") in _calls(worker)
    assert consumer["start_time"] >= send["start_time"]


def test_a_kinesis_record_does_not_carry_the_trace_as_on_aws(server: Server) -> None:
    """Kinesis records have no trace header (SQS has AWSTraceHeader): Lambda's stream
    poller starts a trace of its own for each batch, as on AWS."""
    began = time.time()
    root = f"1-{int(began):08x}-{0x5EC0DE:024x}"
    response = httpx.post(
        f"{server.api_base('OrdersApi')}/orders/async",
        json=ORDER,
        headers={"X-Amzn-Trace-Id": f"Root={root};Sampled=1"},
        timeout=30,
    )
    assert response.status_code == 202
    segments = _trace(server, root, {"CreateOrderAsync"})
    producer = _one(segments, "AWS::Lambda::Function", "CreateOrderAsync")
    assert ("kinesis", "PutRecord") in _calls(producer)
    xray = aws_client(server, "xray")

    def consumer_traces() -> list[str]:
        found = xray.get_trace_summaries(
            StartTime=began - 1,
            EndTime=time.time() + 1,
            FilterExpression='service("CountCustomerOrders")',
        )["TraceSummaries"]
        return [t["Id"] for t in found]

    deadline = time.monotonic() + 30
    while not consumer_traces() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert consumer_traces() and root not in consumer_traces()
    names = {s["name"] for s in _trace(server, root, {"CreateOrderAsync"})}
    assert "CountCustomerOrders" not in names


def test_sync_order_is_one_trace_across_two_apis(server: Server) -> None:
    response = httpx.post(f"{server.api_base('OrdersApi')}/orders/sync", json=ORDER, timeout=30)
    assert response.status_code == 201, response.text
    xray = aws_client(server, "xray")
    now = time.time()
    summaries = xray.get_trace_summaries(
        StartTime=now - 60, EndTime=now + 5, FilterExpression='service("CreateOrderSync")'
    )["TraceSummaries"]
    assert summaries, "no trace went through CreateOrderSync"
    root = summaries[0]["Id"]
    segments = _trace(server, root, {"CreateOrderSync", "CreateInvoice"})
    nodes = _nodes(segments)
    orders = _one(segments, "AWS::Lambda::Function", "CreateOrderSync")
    assert ("secretsmanager", "GetSecretValue") in _calls(orders)
    assert ("dynamodb", "PutItem") in _calls(orders)
    # invoices' API stage continues the trace from the orders function's header
    invoices_stage = _one(segments, "AWS::ApiGateway::Stage", "InvoicesApi/Prod")
    assert nodes[invoices_stage["parent_id"]] is orders
    invoice = _one(segments, "AWS::Lambda::Function", "CreateInvoice")
    service = nodes[invoice["parent_id"]]
    assert service["origin"] == "AWS::Lambda"
    assert nodes[service["parent_id"]] in invoices_stage["subsegments"]
    assert any(name == "dynamodb" for name, _ in _calls(invoice))
    # the invoices API's Lambda authorizer ran inside the same trace, under its stage
    authorizer = _one(segments, "AWS::Lambda", "InvoicesAuthorizer")
    assert authorizer["parent_id"] == invoices_stage["id"]
    assert summaries[0]["Http"]["HttpStatus"] == 201
    graph = xray.get_trace_graph(TraceIds=[root])["Services"]
    names = {(s["Name"], s["Type"]) for s in graph}
    assert ("CreateInvoice", "AWS::Lambda::Function") in names
    assert ("OrdersApi/$default", "AWS::ApiGateway::Stage") in names


def _cli(server: Server, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "serverlite.cli", *args, "--state-dir", str(server.state_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_the_cli_lists_traces_draws_one_and_sparklines_metrics(server: Server) -> None:
    httpx.post(f"{server.api_base('OrdersApi')}/orders/sync", json=ORDER, timeout=30)
    listing = _cli(server, "traces", "--since", "10m")
    line = next(row for row in listing.splitlines() if "CreateOrderSync" in row)
    root = line.split()[0]
    _trace(server, root, {"CreateOrderSync", "CreateInvoice"})
    tree = _cli(server, "traces", root).splitlines()
    depth = {row.strip().split()[0]: len(row) - len(row.lstrip()) for row in tree}
    assert depth["OrdersApi/$default"] == 0
    assert depth["CreateOrderSync"] < depth["InvoicesApi/Prod"] < depth["CreateInvoice"]
    assert any(" ms" in row for row in tree)

    # Datapoints reach the store within the metric writer's flush (1 s), after the trace:
    # ask until the invocation is counted (CloudWatch's metrics are eventually visible too).
    def counted() -> str | None:
        sparks = _cli(server, "metrics", "CreateOrderSync", "--since", "10m")
        return sparks if "total 0" not in sparks.splitlines()[1] else None

    sparks = wait_for(counted, timeout=30, every=0.5)
    assert "Invocations Sum" in sparks and "total 0" not in sparks.splitlines()[1]
