"""kill -9 in the middle of a stream of SQS messages, EventBridge events and async
invokes: after a restart, every acknowledged one is delivered at least once."""

from __future__ import annotations

import gc
import json
import signal
import threading
import time

import boto3
import pytest

from tests.integration.conftest import FIXTURES, lambda_client, start_server

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    # Killing the server under live connections leaves boto3's sockets to the collector.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def test_every_acknowledged_message_event_and_invoke_survives_kill_9(tmp_path):
    markers = tmp_path / "markers"
    template = FIXTURES / "durability" / "template.yaml"
    override = ("--parameter-overrides", f"MarkerDir={markers}")
    server = start_server(template, tmp_path / "state", *override)
    creds = {
        "endpoint_url": server.url,
        "region_name": "us-east-1",
        "aws_access_key_id": "x",
        "aws_secret_access_key": "x",
    }
    sqs = boto3.client("sqs", **creds)
    events = boto3.client("events", **creds)
    lam = lambda_client(server)
    queue_url = sqs.get_queue_url(QueueName="WorkQueue")["QueueUrl"]
    acknowledged: list[str] = []
    stop = threading.Event()

    def stream() -> None:
        i = 0
        while not stop.is_set() and i < 300:
            try:
                sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"id": f"q-{i}"}))
                acknowledged.append(f"q-{i}")
                result = events.put_events(
                    Entries=[
                        {
                            "Source": "durability.test",
                            "DetailType": "Tick",
                            "Detail": json.dumps({"id": f"e-{i}"}),
                            "EventBusName": "durability-bus",
                        }
                    ]
                )
                if result.get("FailedEntryCount") == 0:  # {} when the kill cut the reply
                    acknowledged.append(f"e-{i}")
                response = lam.invoke(
                    FunctionName="Marker",
                    InvocationType="Event",
                    Payload=json.dumps({"id": f"a-{i}"}),
                )
                if response["StatusCode"] == 202:
                    acknowledged.append(f"a-{i}")
            except Exception:  # the runtime is gone: nothing more is acknowledged
                return
            i += 1

    sender = threading.Thread(target=stream)
    sender.start()
    time.sleep(1.0)
    server.stop(signal.SIGKILL)  # mid-stream
    stop.set()
    sender.join(timeout=30)
    delivered_before = {p.name for p in markers.glob("*")} if markers.exists() else set()
    assert len(acknowledged) >= 30
    assert {"q", "e", "a"} <= {item[0] for item in acknowledged}
    assert not set(acknowledged) <= delivered_before, "nothing was left to recover"

    restarted = start_server(template, tmp_path / "state", *override, port=server.port)
    try:
        deadline = time.monotonic() + 120
        missing = set(acknowledged)
        while time.monotonic() < deadline and missing:
            missing = set(acknowledged) - {p.name for p in markers.glob("*")}
            time.sleep(0.2)
        assert not missing, (
            f"{len(missing)} acknowledged items never arrived: {sorted(missing)[:10]}"
        )
    finally:
        restarted.stop()
        for client in (sqs, events, lam):
            client.close()
        gc.collect()  # collect the killed server's sockets here, under this test's filters
