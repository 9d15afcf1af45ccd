"""The durable store: SQLite databases under the state directory, in WAL mode.

WAL with ``synchronous=NORMAL`` keeps every committed transaction across a kill -9
of serverlite (only an operating-system crash can lose the last ones), and lets
other processes (``serverlite logs``) read while serverlite writes.
"""

from __future__ import annotations

import sqlite3
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
