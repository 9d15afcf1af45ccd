"""An acknowledged PutEvents survives kill -9 of `serverlite up`: after a restart on the
same state directory, every target of every acknowledged event is reached at least once."""

from __future__ import annotations

import signal
import sqlite3
import threading

import pytest

from tests.integration.conftest import FIXTURES, start_server
from tests.integration.events.conftest import client, wait_for

pytestmark = pytest.mark.integration
TEMPLATE = FIXTURES / "events" / "durable.yaml"
TARGETS = ("a", "b", "c")  # the rule fans each event out to three targets


def pending_deliveries(state) -> int:
    with sqlite3.connect(state / "events.db") as db:
        return int(db.execute("SELECT COUNT(*) FROM deliveries").fetchone()[0])


@pytest.mark.slow
def test_acknowledged_events_survive_kill_9(tmp_path):
    markers, state = tmp_path / "markers", tmp_path / "state"
    override = ("--parameter-overrides", f"MarkerDir={markers}", "--no-reload")
    server = start_server(TEMPLATE, state, *override)
    events = client(server, "events")
    acknowledged: list[str] = []
    stop = threading.Event()

    def produce() -> None:
        for batch in range(200):
            if stop.is_set():
                return
            entries = [
                {"Source": "stream", "DetailType": "tick", "Detail": f'{{"n": {batch * 10 + i}}}'}
                for i in range(10)
            ]
            try:
                result = events.put_events(Entries=entries)
            except Exception:  # the server is gone: this batch was never acknowledged
                return
            # botocore reads a reply cut short by the kill as {}: nothing acknowledged
            acknowledged.extend(e["EventId"] for e in result.get("Entries", ()) if "EventId" in e)

    producer = threading.Thread(target=produce)
    producer.start()
    try:
        # kill once the functions have started receiving and the stream is flowing
        assert wait_for(lambda: len(acknowledged) >= 300 and any(markers.glob("*.json")), 30)
        server.stop(signal.SIGKILL)
    finally:
        stop.set()
        producer.join(timeout=30)
    expected = {f"{event_id}-{t}.json" for event_id in acknowledged for t in TARGETS}
    before = {p.name for p in markers.glob("*.json")}
    assert before < expected  # the kill landed mid-stream: some deliveries were still owed
    print(
        f"at the kill: {len(acknowledged)} events acknowledged, {len(before)} of "
        f"{len(expected)} deliveries made, {pending_deliveries(state)} stored as pending"
    )

    restarted = start_server(TEMPLATE, state, *override, port=server.port)
    try:
        assert wait_for(lambda: {p.name for p in markers.glob("*.json")} >= expected, 60), (
            f"{len(expected - {p.name for p in markers.glob('*.json')})} deliveries were lost"
        )
        wait_for(lambda: pending_deliveries(state) == 0, 10)
    finally:
        restarted.stop()
