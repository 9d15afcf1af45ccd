"""The observability stores' writer thread (logs and traces sit on it): what is added is
committed in batches, flush waits for it, close commits what is pending, nothing is lost
to a close racing with a write, and a failed write loses its batch but not the writer."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from serverlite.observe.batch_writer import BatchWriter, read_connection

pytestmark = pytest.mark.integration

_SCHEMA = "CREATE TABLE IF NOT EXISTS items (n INTEGER NOT NULL);"


class Items:
    """A store of integers on a BatchWriter whose insert can be held up."""

    def __init__(self, path: Path, linger_s: float = 60.0) -> None:
        self.path = path
        self.inserting = threading.Event()  # set while an insert waits for ``go``
        self.go = threading.Event()
        self.go.set()
        self.transactions = 0
        self.writer = BatchWriter(
            path, _SCHEMA, self._insert, empty=list, name="test-items", linger_s=linger_s
        )

    def _insert(self, conn: sqlite3.Connection, batch: list[int]) -> None:
        self.inserting.set()
        self.go.wait(10)
        conn.executemany("INSERT INTO items (n) VALUES (?)", [(n,) for n in batch])
        self.transactions += 1

    def add(self, *numbers: int) -> None:
        with self.writer as batch:
            batch.extend(numbers)

    def stored(self) -> list[int]:
        conn = read_connection(self.path)
        try:
            return [n for (n,) in conn.execute("SELECT n FROM items ORDER BY rowid")]
        finally:
            conn.close()


def test_flush_commits_everything_added_before_it_in_one_transaction(tmp_path):
    items = Items(tmp_path / "items.db")  # a linger far longer than the test
    try:
        for n in range(100):
            items.add(n)
        items.writer.flush()
        assert items.stored() == list(range(100))
        assert items.transactions == 1
        items.writer.flush()  # nothing pending: returns at once
        assert items.transactions == 1
    finally:
        items.writer.close()


def test_close_commits_what_is_pending_and_a_later_add_starts_a_writer_again(tmp_path):
    items = Items(tmp_path / "items.db")
    items.writer.close()  # never started: nothing to do
    items.add(1, 2)
    items.writer.close()
    assert items.stored() == [1, 2]
    items.add(3)
    items.writer.close()
    items.writer.close()  # twice is fine
    assert items.stored() == [1, 2, 3]


def test_an_add_while_the_writer_stops_is_not_lost(tmp_path):
    items = Items(tmp_path / "items.db")
    items.add(1)
    items.writer.flush()
    items.go.clear()  # the next insert waits
    items.inserting.clear()
    items.add(2)
    closing = threading.Thread(target=items.writer.close)
    closing.start()
    assert items.inserting.wait(10)  # the closing writer took [2] and is writing it
    items.add(3)  # after its last take: the writer that is stopping never sees it
    items.go.set()
    closing.join(10)
    items.writer.close()  # commits what was added while the first close ran
    assert items.stored() == [1, 2, 3]


def test_writes_from_many_threads_with_closes_between_all_land(tmp_path):
    items = Items(tmp_path / "items.db", linger_s=0.001)

    def add(base: int) -> None:
        for n in range(base, base + 2000):
            items.add(n)

    threads = [threading.Thread(target=add, args=(k * 10_000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads):
        items.writer.close()
    for thread in threads:
        thread.join()
    items.writer.close()
    stored = items.stored()
    for k in range(4):
        assert [n for n in stored if k * 10_000 <= n < (k + 1) * 10_000] == list(
            range(k * 10_000, k * 10_000 + 2000)
        )


def test_a_failed_write_loses_its_batch_not_the_writer(tmp_path, caplog):
    items = Items(tmp_path / "items.db")
    try:
        items.add(1)
        items.writer.flush()
        with sqlite3.connect(items.path) as conn:
            conn.execute("DROP TABLE items")  # the database was reset under the writer
        items.add(2)
        items.writer.flush()
        assert "test-items: could not store 1 records" in caplog.text
        items.add(3)  # the writer made the schema again
        items.writer.flush()
        assert items.stored() == [3]
    finally:
        items.writer.close()
