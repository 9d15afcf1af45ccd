"""The durable store: SQLite databases under the state directory, in WAL mode.

WAL with ``synchronous=NORMAL`` keeps every committed transaction across a kill -9
of serverlite (only an operating-system crash can lose the last ones), and lets
other processes (``serverlite logs``) read while serverlite writes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def connect(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        path, timeout=30.0, isolation_level=None, check_same_thread=check_same_thread
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class LockedDb:
    """One SQLite connection shared by the event loop and worker threads, one at a time.

    ``transaction()`` is ``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error):
    a write acknowledged after it returns is durable.
    """

    def __init__(self, path: Path, schema: str, *, reentrant: bool = False) -> None:
        self._conn = connect(path, check_same_thread=False)
        self._conn.executescript(schema)
        self._lock: threading.Lock | threading.RLock = (
            threading.RLock() if reentrant else threading.Lock()
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
