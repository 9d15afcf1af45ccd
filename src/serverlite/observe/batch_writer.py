"""One background thread that writes what the serving thread hands it, in batches.

Logs, traces and metrics are recorded on the hot path of every request: adding to
the pending batch under a lock is all an invocation pays. The batch has whatever
shape its store wants (a list of trace records, the log events of each log stream):

    with writer as batch:        # the lock held, the writer woken once per batch
        batch.append(record)

The writer sleeps until a batch begins, lingers ``linger_s`` so a burst gathers,
then takes the whole batch at once and commits it in one transaction. ``flush``
waits for everything added before it and ``close`` commits what is pending and stops
the thread (a later add starts it again); both cut the linger short. An add that
races with a close is taken by a new writer, never left behind.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable, Sized
from pathlib import Path
from typing import Any, Generic, TypeVar

from serverlite import state

B = TypeVar("B", bound=Sized)
log = logging.getLogger("serverlite.observe")


class BatchWriter(Generic[B]):
    def __init__(
        self,
        path: Path,
        schema: str,
        insert: Callable[[sqlite3.Connection, B], None],
        *,
        empty: Callable[[], B],
        name: str,
        linger_s: float = 0.05,
    ) -> None:
        """``insert`` writes a batch inside the writer's transaction; ``empty`` makes
        a new batch (``list``, ``dict``)."""
        self.path = path
        self._schema = schema
        self._insert = insert
        self._empty = empty
        self._name = name
        self._linger_s = linger_s
        conn = state.connect(path)
        conn.executescript(schema)
        conn.close()
        self._pending: B = empty()
        self._woken = False  # the writer was told about the pending batch
        self._waiters: list[threading.Event] = []
        self._closing = False
        self._wake = threading.Event()
        self._hurry = threading.Event()  # a flush or close cuts the linger short
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # -- adding (any thread) -------------------------------------------------------
    def __enter__(self) -> B:
        """The pending batch, to add to while the lock is held."""
        self._lock.acquire()
        return self._pending

    def __exit__(self, *exc: object) -> None:
        try:
            if not self._woken and self._pending:
                self._signal()
        finally:
            self._lock.release()

    def add(self: BatchWriter[list[Any]], item: Any) -> None:
        """Add one item to a list batch (``with writer as batch: batch.append(item)``
        without the two Python-level calls of the context manager)."""
        with self._lock:
            self._pending.append(item)
            if not self._woken:
                self._signal()

    def _signal(self) -> None:
        # The writer sleeps until a batch begins, then lingers: woken once per batch.
        self._woken = True
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
            self._hurry.set()
            self._wake.set()
        done.wait(timeout)

    def close(self) -> None:
        """Commit what is pending and stop the thread."""
        with self._lock:
            thread = self._thread
            if thread is None:
                return
            self._closing = True
            self._hurry.set()
            self._wake.set()
        thread.join(timeout=10)
        with self._lock:
            self._thread = None
            self._closing = False
            if self._pending:  # added while the writer was stopping: a new one takes it
                self._signal()

    # -- the writer thread -----------------------------------------------------------
    def _run(self) -> None:
        conn = state.connect(self.path, check_same_thread=False)
        try:
            while True:
                self._wake.wait()
                # Let a burst gather into one transaction (unless someone waits).
                self._hurry.wait(self._linger_s)
                with self._lock:
                    pending, self._pending = self._pending, self._empty()
                    waiters, self._waiters = self._waiters, []
                    stop = self._closing
                    self._woken = False
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

    def _write(self, conn: sqlite3.Connection, batch: B) -> None:
        # A failed write loses this batch, never the writer: later ones still land.
        try:
            with conn:
                conn.execute("BEGIN")
                self._insert(conn, batch)
        except sqlite3.Error as exc:
            log.warning("%s: could not store %d records: %s", self._name, len(batch), exc)
            with contextlib.suppress(sqlite3.Error):
                conn.executescript(self._schema)  # the database may have been reset under us


class BatchedStore:
    """A store that writes through a ``BatchWriter`` (None: opened read-only)."""

    path: Path
    _writer: BatchWriter[Any] | None = None

    def flush(self, timeout: float = 10.0) -> None:
        """Block until everything written so far is committed."""
        if self._writer is not None:
            self._writer.flush(timeout)

    def _clear(self, table: str) -> None:
        """Every row of ``table`` gone (a test's reset): what was written so far lands
        first, then goes with the rest."""
        self.flush()
        conn = state.connect(self.path)
        try:
            if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone() == (1,):
                with conn:  # only then a write: an idle reset takes no lock
                    conn.execute(f"DELETE FROM {table}")
        finally:
            conn.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def read_connection(path: Path) -> sqlite3.Connection:
    """A connection for one read (any thread, any process): it sees what is committed."""
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30.0)
