"""Asynchronous invocations: Lambda's retry schedule, event age and destinations.

`serverlite up --time-scale 600` makes Lambda's 1- and 2-minute retry delays pass in
0.1 and 0.2 seconds, and a 60-second event age in 0.1 seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import FIXTURES, Server, lambda_client, start_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    root = tmp_path_factory.mktemp("async")
    markers = root / "markers"
    server = start_server(
        FIXTURES / "async_invoke" / "template.yaml",
        root / "state",
        "--time-scale",
        "600",
        "--parameter-overrides",
        f"MarkerDir={markers}",
    )
    yield server, markers
    server.stop()


def send(server: Server, function: str, event: dict) -> str:
    response = lambda_client(server).invoke(
        FunctionName=function, InvocationType="Event", Payload=json.dumps(event)
    )
    assert response["StatusCode"] == 202
    return str(response["ResponseMetadata"]["RequestId"])


def record(markers: Path, condition: str, event_id: str, timeout: float = 15) -> dict:
    path = markers / f"record-{condition}-{event_id}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return json.loads(path.read_text())
        time.sleep(0.05)
    raise AssertionError(
        f"no {condition} record for {event_id}: {sorted(p.name for p in markers.glob('*'))}"
    )


def test_retried_twice_then_success_goes_to_on_success(app):
    server, markers = app
    request_id = send(server, "Flaky", {"id": "e1", "failures": 2})
    rec = record(markers, "Success", "e1")
    assert rec["version"] == "1.0"
    assert rec["timestamp"].endswith("Z")
    assert rec["requestContext"] == {
        "requestId": request_id,
        "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:Flaky:$LATEST",
        "condition": "Success",
        "approximateInvokeCount": 3,
    }
    assert rec["requestPayload"] == {"id": "e1", "failures": 2}
    assert rec["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert rec["responsePayload"] == {"ok": "e1", "calls": 3}


def test_event_bus_destination_event_names_the_bus_and_the_function(app):
    # AWS: the event a bus destination gets has source "lambda", detail-type "Lambda
    # Function Invocation Result - Success" and resources [bus ARN, function ARN:$LATEST]
    # (LocalStack's AWS-validated snapshot test_lambda_destinations, event bus cases).
    server, markers = app
    send(server, "ToBus", {"id": "e-bus"})
    event = record(markers, "bus-Success", "e-bus")
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["resources"] == [
        "arn:aws:events:us-east-1:123456789012:event-bus/lambda-results",
        "arn:aws:lambda:us-east-1:123456789012:function:ToBus:$LATEST",
    ]
    assert event["detail"]["responsePayload"] == {"ok": "e-bus", "calls": 1}


def test_retries_exhausted_goes_to_on_failure(app):
    server, markers = app
    send(server, "OneRetry", {"id": "e2", "failures": 5})
    rec = record(markers, "RetriesExhausted", "e2")
    assert rec["requestContext"]["approximateInvokeCount"] == 2  # the try and one retry
    assert rec["responseContext"]["functionError"] == "Unhandled"
    assert rec["responsePayload"]["errorType"] == "RuntimeError"
    assert rec["responsePayload"]["errorMessage"] == "attempt 2 fails"
    assert (markers / "count-e2").read_text() == "2"


def test_events_past_their_maximum_age_are_dropped_to_on_failure(app):
    server, markers = app
    send(server, "Aging", {"id": "e3", "failures": 5})
    rec = record(markers, "EventAgeExceeded", "e3")
    assert rec["requestContext"]["condition"] == "EventAgeExceeded"
    assert int((markers / "count-e3").read_text()) < 3


def test_reserved_concurrency_zero_sends_events_straight_to_on_failure(app):
    server, markers = app
    send(server, "Disabled", {"id": "e4"})
    rec = record(markers, "RetriesExhausted", "e4")
    assert rec["requestContext"]["approximateInvokeCount"] == 0
    assert "responsePayload" not in rec
    assert not (markers / "count-e4").exists()
