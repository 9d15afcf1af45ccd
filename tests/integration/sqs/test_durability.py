"""An acknowledged SendMessage survives kill -9 of `serverlite up`, and every such message
reaches the function at least once after a restart on the same state directory."""

from __future__ import annotations

import signal
import threading

import pytest

from tests.integration.conftest import start_server, wait_for
from tests.integration.sqs.conftest import TEMPLATE, sqs_client

pytestmark = pytest.mark.integration


@pytest.mark.slow
def test_acknowledged_messages_survive_kill_9(tmp_path):
    markers = tmp_path / "markers"
    override = ("--parameter-overrides", f"MarkerDir={markers}", "--no-reload")
    server = start_server(TEMPLATE, tmp_path / "state", *override)
    sqs = sqs_client(server)
    url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
    acknowledged: list[str] = []
    stop = threading.Event()

    def produce() -> None:
        for batch in range(300):
            if stop.wait(0.005):  # paced, so the kill lands mid-stream
                return
            entries = [{"Id": str(i), "MessageBody": f"marker:m{batch:04d}-{i}"} for i in range(10)]
            try:
                result = sqs.send_message_batch(QueueUrl=url, Entries=entries)
            except Exception:  # the server is gone: this batch was never acknowledged
                return
            bodies = {e["Id"]: e["MessageBody"] for e in entries}
            # botocore reads a reply cut short by the kill as {}: nothing acknowledged
            acknowledged.extend(bodies[ok["Id"]] for ok in result.get("Successful", ()))

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        # Kill once the function has started consuming and a backlog has built up.
        assert wait_for(lambda: len(acknowledged) >= 500 and any(markers.glob("m*")), timeout=20)
        server.stop(signal.SIGKILL)  # mid-stream: a backlog queued, batches in flight
    finally:
        stop.set()
        producer.join(timeout=30)
    sent = {body.split(":", 1)[1] for body in acknowledged}
    delivered_before = {p.name for p in markers.glob("m*")}
    assert 0 < len(delivered_before) < len(sent)  # the consumer was behind when killed

    restarted = start_server(TEMPLATE, tmp_path / "state", *override, port=server.port)
    try:
        wait_for(
            lambda: {p.name for p in markers.glob("m*")} >= sent,
            timeout=30,
            why=lambda: (
                f"{len(sent - {p.name for p in markers.glob('m*')})} acknowledged "
                "messages were lost"
            ),
        )
    finally:
        restarted.stop()
