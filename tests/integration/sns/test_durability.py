"""An acknowledged Publish survives kill -9 of `serverlite up`: after a restart on the
same state directory, every subscriber gets every acknowledged message at least once."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.integration.conftest import FIXTURES, start_server
from tests.integration.sns.conftest import client, topic_arn, wait_for

pytestmark = pytest.mark.integration
TEMPLATE = FIXTURES / "sns" / "durable.yaml"
SUBSCRIBERS = ("a", "b")


def pending_deliveries(state: Path) -> int:
    with sqlite3.connect(state / "sns.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0])


@pytest.mark.slow
def test_acknowledged_publishes_survive_kill_9(tmp_path):
    markers, state = tmp_path / "markers", tmp_path / "state"
    override = ("--parameter-overrides", f"MarkerDir={markers}", "--no-reload")
    server = start_server(TEMPLATE, state, *override)
    sns = client(server, "sns")
    acknowledged: list[str] = []
    stop = threading.Event()

    def produce() -> None:
        for batch in range(300):
            entries = [
                {"Id": str(i), "Message": json.dumps({"id": f"{batch}-{i}", "sleep": 0.01})}
                for i in range(10)
            ]
            if stop.is_set():
                return
            try:
                result = sns.publish_batch(
                    TopicArn=topic_arn("stream"), PublishBatchRequestEntries=entries
                )
            except Exception:  # the server is gone: this batch was never acknowledged
                return
            # botocore reads a reply cut short by the kill as {}: nothing acknowledged
            ok = {entry["Id"] for entry in result.get("Successful", ())}
            acknowledged.extend(f"{batch}-{i}" for i in range(10) if str(i) in ok)

    arns = sorted(s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"])
    producer = threading.Thread(target=produce)
    producer.start()
    try:
        # kill once subscribers are receiving and the stream is flowing
        assert wait_for(lambda: len(acknowledged) >= 300 and any(markers.glob("*.json")), 30)
        server.stop(signal.SIGKILL)
    finally:
        stop.set()
        producer.join(timeout=30)
    expected = {f"{s}-{key}.json" for key in acknowledged for s in SUBSCRIBERS}
    before = {p.name for p in markers.glob("*.json")}
    assert before < expected  # the kill landed mid-stream: some deliveries were still owed
    print(
        f"at the kill: {len(acknowledged)} messages acknowledged, {len(before)} of "
        f"{len(expected)} deliveries made, {pending_deliveries(state)} SNS deliveries pending"
    )

    restarted = start_server(TEMPLATE, state, *override, port=server.port)
    try:
        # provisioning is idempotent: the template's subscriptions keep their ARNs
        listed = client(restarted, "sns").list_subscriptions()["Subscriptions"]
        assert sorted(s["SubscriptionArn"] for s in listed) == arns
        assert wait_for(lambda: {p.name for p in markers.glob("*.json")} >= expected, 60), (
            f"{len(expected - {p.name for p in markers.glob('*.json')})} deliveries were lost"
        )
        wait_for(lambda: pending_deliveries(state) == 0, 10)
    finally:
        restarted.stop()
