"""The function log store: batched writes from any thread, committed in order, readable."""

from __future__ import annotations

import threading
import time

import pytest

from serverlite.observe.logs import LINGER_S, LogStore

pytestmark = pytest.mark.integration


def test_writes_are_grouped_per_stream_and_read_back_in_order(tmp_path):
    store = LogStore(tmp_path / "logs.db")
    try:
        store.write("/aws/lambda/A", "s1", [(1, "START a"), (2, "a1")])
        store.write("/aws/lambda/B", "s2", [(1, "START b")])
        store.write("/aws/lambda/A", "s1", [(3, "END a")])
        store.write("/aws/lambda/A", "s1", [])  # nothing to store
        store.flush()
        a = store.read("/aws/lambda/A")
        assert [(e.log_stream, e.timestamp_ms, e.message) for e in a] == [
            ("s1", 1, "START a"),
            ("s1", 2, "a1"),
            ("s1", 3, "END a"),
        ]
        assert len({e.id for e in a}) == 1  # one row for the stream's batch
        assert [e.message for e in store.read("/aws/lambda/B")] == ["START b"]
        assert sorted(store.groups()) == ["/aws/lambda/A", "/aws/lambda/B"]
    finally:
        store.close()


def test_writes_from_many_threads_all_land(tmp_path):
    store = LogStore(tmp_path / "logs.db")

    def writer(n: int) -> None:
        for i in range(500):
            store.write("/aws/lambda/F", f"stream-{n}", [(i, f"{n}:{i}")])

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        store.flush()
        events = store.read("/aws/lambda/F", limit=10_000)
        for n in range(4):
            mine = [e.message for e in events if e.log_stream == f"stream-{n}"]
            assert mine == [f"{n}:{i}" for i in range(500)]
    finally:
        store.close()


def test_a_batch_is_committed_without_a_flush_and_the_store_reopens_after_close(tmp_path):
    store = LogStore(tmp_path / "logs.db")
    store.write("/aws/lambda/G", "s", [(1, "one")])
    deadline = time.monotonic() + 5
    while not store.read("/aws/lambda/G") and time.monotonic() < deadline:
        time.sleep(LINGER_S / 5)
    assert [e.message for e in store.read("/aws/lambda/G")] == ["one"]
    store.close()
    store.close()  # twice is fine
    store.write("/aws/lambda/G", "s", [(2, "two")])  # a write after close starts anew
    store.close()  # and close commits what was pending
    assert [e.message for e in store.read("/aws/lambda/G")] == ["one", "two"]
