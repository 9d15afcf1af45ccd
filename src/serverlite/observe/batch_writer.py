"""One background thread that writes what the serving thread hands it, in batches.

Traces and metrics are recorded on the hot path of every request: appending to a list
is all an invocation pays. The writer wakes when a batch begins, lingers ``linger_s``
so a burst gathers, and commits everything pending in one transaction (the log store,
``logs.py``, works the same way with rows grouped by log stream).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Generic, TypeVar

from serverlite import state

T = TypeVar("T")
log = logging.getLogger("serverlite.observe")


class BatchWriter(Generic[T]):
    def __init__(
        self,
        path: Path,
        schema: str,
        insert: Callable[[sqlite3.Connection, list[T]], None],
        *,
        name: str,
        linger_s: float = 0.05,
    ) -> None:
        self.path = path
        self._schema = schema
        self._insert = insert
        self._name = name
        self._linger_s = linger_s
        conn = state.connect(path)
        conn.executescript(schema)
        conn.close()
        self._pending: list[T] = []
        self._waiters: list[threading.Event] = []
        self._closing = False
        self._wake = threading.Event()
        self._hurry = threading.Event()  # a flush cuts the linger short
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def add(self, item: T) -> None:
        with self._lock:
            self._pending.append(item)
            if len(self._pending) == 1:
                self._start_or_wake()

    def add_many(self, items: Iterable[T]) -> None:
        with self._lock:
            first = not self._pending
            self._pending.extend(items)
            if first and self._pending:
                self._start_or_wake()

    def _start_or_wake(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self._wake.set()

    def flush(self, timeout: float = 10.0) -> None:
        """Block until everything added so far is committed."""
        with self._lock:
            if self._thread is None:
                return
            done = threading.Event()
            self._waiters.append(done)
            self._wake.set()
            self._hurry.set()
        done.wait(timeout)

    def close(self) -> None:
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._closing = True
            self._wake.set()
            self._hurry.set()
        thread.join(timeout=10)
        with self._lock:
            self._thread = None
            self._closing = False

    def _run(self) -> None:
        conn = state.connect(self.path, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                if not self._waiters and not self._closing:
                    self._hurry.wait(self._linger_s)  # a burst gathers, unless flushed
                with self._lock:
                    pending, self._pending = self._pending, []
                    waiters, self._waiters = self._waiters, []
                    stop = self._closing
                    self._wake.clear()
                    self._hurry.clear()
                if pending:
                    self._write(conn, pending)
                for waiter in waiters:
                    waiter.set()
                if stop:
                    return
        finally:
            conn.close()

    def _write(self, conn: sqlite3.Connection, batch: list[T]) -> None:
        # A failed write loses this batch, never the writer: later ones still land.
        try:
            with conn:
                conn.execute("BEGIN")
                self._insert(conn, batch)
        except sqlite3.Error as exc:
            log.warning("%s: could not store %d records: %s", self._name, len(batch), exc)
            with contextlib.suppress(sqlite3.Error):
                conn.executescript(self._schema)  # the database may have been reset under us


def read_connection(path: Path) -> sqlite3.Connection:
    """A connection for one read (any thread, any process): it sees what is committed."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30.0)
