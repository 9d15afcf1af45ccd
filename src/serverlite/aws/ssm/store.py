"""Parameters on SQLite (WAL): every version of every parameter, its labels, and what
the template last provisioned. Each call is one transaction; a returned write is durable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from serverlite.state import LockedDb

from .records import ParameterVersion

MAX_VERSIONS = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS parameter_versions (
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    value BLOB NOT NULL,
    tier TEXT NOT NULL,
    data_type TEXT NOT NULL,
    modified REAL NOT NULL,
    description TEXT NOT NULL,
    allowed_pattern TEXT NOT NULL,
    key_id TEXT,
    tags TEXT NOT NULL,
    PRIMARY KEY (key, version)
);
CREATE TABLE IF NOT EXISTS parameter_labels (
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (key, label),
    FOREIGN KEY (key, version) REFERENCES parameter_versions (key, version) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS parameter_provisioned (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
);
"""
_COLUMNS = (
    "key, version, name, type, value, tier, data_type, modified, description, "
    "allowed_pattern, key_id, tags"
)
_LATEST = (
    f"SELECT {_COLUMNS} FROM parameter_versions p "
    "WHERE version = (SELECT MAX(version) FROM parameter_versions WHERE key = p.key)"
)


class ParameterDb(LockedDb):
    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def _rows(self, sql: str, args: Sequence[Any]) -> list[ParameterVersion]:
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
            return [self._record(row) for row in rows]

    def _record(self, row: Sequence[Any]) -> ParameterVersion:
        key, version = row[0], row[1]
        labels = self._conn.execute(
            "SELECT label FROM parameter_labels WHERE key = ? AND version = ? ORDER BY label",
            (key, version),
        ).fetchall()
        return ParameterVersion(
            key=key,
            version=version,
            name=row[2],
            type=row[3],
            value=bytes(row[4]),
            tier=row[5],
            data_type=row[6],
            modified=row[7],
            description=row[8],
            allowed_pattern=row[9],
            key_id=row[10],
            tags=json.loads(row[11]),
            labels=tuple(label for (label,) in labels),
        )

    # -- reads ---------------------------------------------------------------------

    def latest(self, key: str) -> ParameterVersion | None:
        found = self._rows(f"{_LATEST} AND key = ?", (key,))
        return found[0] if found else None

    def version(self, key: str, version: int) -> ParameterVersion | None:
        found = self._rows(
            f"SELECT {_COLUMNS} FROM parameter_versions WHERE key = ? AND version = ?",
            (key, version),
        )
        return found[0] if found else None

    def labelled(self, key: str, label: str) -> ParameterVersion | None:
        found = self._rows(
            f"SELECT {_COLUMNS} FROM parameter_versions WHERE key = ? AND version = "
            "(SELECT version FROM parameter_labels WHERE key = ? AND label = ?)",
            (key, key, label),
        )
        return found[0] if found else None

    def history(self, key: str, after: int = 0) -> list[ParameterVersion]:
        return self._rows(
            f"SELECT {_COLUMNS} FROM parameter_versions WHERE key = ? AND version > ? "
            "ORDER BY version",
            (key, after),
        )

    def all_latest(self, prefix: str = "/", after: str = "") -> list[ParameterVersion]:
        """The latest version of every parameter whose key starts with ``prefix``, by key."""
        # Names are ASCII below DEL, so [prefix, prefix + DEL) is exactly the prefix's range.
        return self._rows(
            f"{_LATEST} AND key >= ? AND key < ? AND key > ? ORDER BY key",
            (prefix, f"{prefix}\x7f", after),
        )

    # -- writes --------------------------------------------------------------------

    def add_version(self, record: ParameterVersion) -> None:
        """Store a new latest version; beyond 100, drop the oldest unlabelled ones."""
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO parameter_versions ({_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    record.version,
                    record.name,
                    record.type,
                    record.value,
                    record.tier,
                    record.data_type,
                    record.modified,
                    record.description,
                    record.allowed_pattern,
                    record.key_id,
                    json.dumps(dict(record.tags)),
                ),
            )
            conn.execute(
                "DELETE FROM parameter_versions WHERE key = ? AND version <= ? AND NOT EXISTS "
                "(SELECT 1 FROM parameter_labels l WHERE l.key = parameter_versions.key "
                "AND l.version = parameter_versions.version)",
                (record.key, record.version - MAX_VERSIONS),
            )

    def delete(self, key: str) -> bool:
        with self.transaction() as conn:
            conn.execute("DELETE FROM parameter_labels WHERE key = ?", (key,))
            deleted = conn.execute("DELETE FROM parameter_versions WHERE key = ?", (key,))
            return deleted.rowcount > 0

    def move_labels(self, key: str, version: int, labels: Sequence[str]) -> None:
        """Attach ``labels`` to ``version``, taking each from whichever version had it."""
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO parameter_labels (key, label, version) VALUES (?, ?, ?) "
                "ON CONFLICT (key, label) DO UPDATE SET version = excluded.version",
                [(key, label, version) for label in labels],
            )

    # -- template provisioning -----------------------------------------------------

    def provisioned_fingerprint(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT fingerprint FROM parameter_provisioned WHERE key = ?", (key,)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_provisioned_fingerprint(self, key: str, fingerprint: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO parameter_provisioned (key, fingerprint) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint",
                (key, fingerprint),
            )
