"""The calls each function was seen making, kept under the state directory (``iam.db``).

``serverlite iam suggest`` reads it to print the least-privilege ``Policies`` of a
function; it outlives the run that saw the calls (an acknowledged row survives
kill -9, as every store does). A call is written once per run for each (function,
action, resource), then only counted in memory, so the endpoint's hot path does not
touch the disk.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from serverlite import state

FILE = "iam.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    function TEXT NOT NULL,
    qualified_id TEXT NOT NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    allowed INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (function, action, resource)
)
"""


@dataclass(frozen=True)
class SeenCall:
    function: str
    qualified_id: str
    action: str
    resource: str
    allowed: bool  # what the policies decided when it was last seen


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        self._seen: set[tuple[str, str, str, bool]] = set()
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = state.connect(self.path, check_same_thread=False)
            self._conn.execute(_SCHEMA)
            self._conn.commit()
        return self._conn

    def record(
        self,
        function: str,
        qualified_id: str,
        action: str,
        resource: str,
        allowed: bool,
        now: float,
    ) -> None:
        key = (function, action, resource, allowed)
        if key in self._seen:
            return
        with self._lock:
            self._seen.add(key)
            db = self._db()
            db.execute(
                "INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (function, action, resource) DO UPDATE SET"
                " allowed = excluded.allowed, last_seen = excluded.last_seen,"
                " qualified_id = excluded.qualified_id",
                (function, qualified_id, action, resource, int(allowed), now, now),
            )
            db.commit()

    def calls(self, function: str | None = None) -> list[SeenCall]:
        if not self.path.exists():
            return []
        db = self._db()
        query = "SELECT function, qualified_id, action, resource, allowed FROM calls"
        rows = (
            db.execute(query + " WHERE function = ? OR qualified_id = ?", (function, function))
            if function
            else db.execute(query)
        )
        return [SeenCall(f, q, a, r, bool(ok)) for f, q, a, r, ok in rows.fetchall()]

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
