"""Secrets on SQLite (WAL): secrets, their versions (values encrypted), staging labels,
and what the template last provisioned. Each write is one transaction, durable on return.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from serverlite.state import LockedDb

from .names import SecretId
from .records import Secret, SecretVersion

MAX_VERSIONS = 100  # AWS keeps about 100 versions; older deprecated ones go

_SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    last_changed REAL NOT NULL,
    description TEXT NOT NULL,
    kms_key_id TEXT,
    tags TEXT NOT NULL,
    last_accessed REAL,
    deleted REAL,
    deletion REAL
);
CREATE TABLE IF NOT EXISTS secret_versions (
    arn TEXT NOT NULL REFERENCES secrets (arn) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    created REAL NOT NULL,
    kind TEXT NOT NULL,
    value BLOB NOT NULL,
    last_accessed REAL,
    PRIMARY KEY (arn, version_id)
);
CREATE TABLE IF NOT EXISTS secret_stages (
    arn TEXT NOT NULL,
    stage TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (arn, stage),
    FOREIGN KEY (arn, version_id) REFERENCES secret_versions (arn, version_id) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS secret_provisioned (
    arn TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
);
"""
_SECRET_COLUMNS = (
    "arn, name, created, last_changed, description, kms_key_id, tags, last_accessed, "
    "deleted, deletion"
)
_VERSION_COLUMNS = "arn, version_id, created, kind, value, last_accessed"


class SecretDb(LockedDb):
    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    def _secret(self, row: Sequence[Any]) -> Secret:
        arn = row[0]
        stages = self._conn.execute(
            "SELECT stage, version_id FROM secret_stages WHERE arn = ?", (arn,)
        ).fetchall()
        versions = self._conn.execute(
            "SELECT version_id FROM secret_versions WHERE arn = ? ORDER BY seq", (arn,)
        ).fetchall()
        return Secret(
            arn=arn,
            name=row[1],
            created=row[2],
            last_changed=row[3],
            description=row[4],
            kms_key_id=row[5],
            tags=tuple((str(k), str(v)) for k, v in json.loads(row[6])),
            last_accessed=row[7],
            deleted=row[8],
            deletion=row[9],
            stages=dict(stages),
            version_ids=tuple(v for (v,) in versions),
        )

    # -- reads ---------------------------------------------------------------------

    def find(self, secret_id: SecretId) -> Secret | None:
        with self._lock:
            if secret_id.is_arn:
                rows = self._conn.execute(
                    f"SELECT {_SECRET_COLUMNS} FROM secrets WHERE arn = ? OR arn LIKE ? "
                    "ORDER BY arn = ? DESC",
                    (secret_id.text, f"{secret_id.text}-______", secret_id.text),
                ).fetchall()
            else:
                rows = self._conn.execute(
                    f"SELECT {_SECRET_COLUMNS} FROM secrets WHERE name = ?", (secret_id.text,)
                ).fetchall()
            matching = [r for r in rows if secret_id.matches(r[0], r[1])]
            return self._secret(matching[0]) if matching else None

    def all(self) -> list[Secret]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_SECRET_COLUMNS} FROM secrets ORDER BY created, name"
            ).fetchall()
            return [self._secret(row) for row in rows]

    def version(self, arn: str, version_id: str) -> SecretVersion | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM secret_versions WHERE arn = ? AND version_id = ?",
                (arn, version_id),
            ).fetchone()
        if row is None:
            return None
        return SecretVersion(row[0], row[1], row[2], row[3], bytes(row[4]), row[5])

    def versions(self, arn: str) -> list[SecretVersion]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM secret_versions WHERE arn = ? ORDER BY seq",
                (arn,),
            ).fetchall()
        return [SecretVersion(r[0], r[1], r[2], r[3], bytes(r[4]), r[5]) for r in rows]

    # -- writes --------------------------------------------------------------------

    def create(self, secret: Secret, version: SecretVersion | None) -> None:
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO secrets ({_SECRET_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    secret.arn,
                    secret.name,
                    secret.created,
                    secret.last_changed,
                    secret.description,
                    secret.kms_key_id,
                    json.dumps(list(secret.tags)),
                    None,
                    None,
                    None,
                ),
            )
            if version is not None:
                self._insert_version(conn, version, secret.stages)

    def add_version(
        self, version: SecretVersion, stages: Mapping[str, str], changed: float
    ) -> None:
        """Store a new version and the labels after it (see ``staging``)."""
        with self.transaction() as conn:
            self._insert_version(conn, version, stages)
            conn.execute(
                "UPDATE secrets SET last_changed = ? WHERE arn = ?", (changed, version.arn)
            )

    def _insert_version(
        self, conn: sqlite3.Connection, version: SecretVersion, stages: Mapping[str, str]
    ) -> None:
        conn.execute(
            f"INSERT INTO secret_versions ({_VERSION_COLUMNS}, seq) VALUES (?, ?, ?, ?, ?, NULL, "
            "(SELECT COALESCE(MAX(seq), 0) + 1 FROM secret_versions WHERE arn = ?))",
            (
                version.arn,
                version.version_id,
                version.created,
                version.kind,
                version.value,
                version.arn,
            ),
        )
        conn.execute("DELETE FROM secret_stages WHERE arn = ?", (version.arn,))
        conn.executemany(
            "INSERT INTO secret_stages (arn, stage, version_id) VALUES (?, ?, ?)",
            [(version.arn, stage, vid) for stage, vid in stages.items()],
        )
        # Beyond MAX_VERSIONS, the oldest deprecated (unlabelled) versions go.
        conn.execute(
            "DELETE FROM secret_versions WHERE arn = ? AND version_id NOT IN "
            "(SELECT version_id FROM secret_stages WHERE arn = ?) AND seq <= "
            "(SELECT MAX(seq) FROM secret_versions WHERE arn = ?) - ?",
            (version.arn, version.arn, version.arn, MAX_VERSIONS),
        )

    def update(self, arn: str, changed: float, **fields: Any) -> None:
        """Set ``description``, ``kms_key_id`` (and bump last_changed)."""
        allowed = {"description", "kms_key_id"}
        sets = [f"{column} = ?" for column in fields if column in allowed]
        values = [value for column, value in fields.items() if column in allowed]
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE secrets SET {', '.join([*sets, 'last_changed = ?'])} WHERE arn = ?",
                (*values, changed, arn),
            )

    def schedule_deletion(self, arn: str, deleted: float | None, deletion: float | None) -> None:
        """Mark for deletion at ``deletion`` (or, with None, None: restore)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE secrets SET deleted = ?, deletion = ? WHERE arn = ?",
                (deleted, deletion, arn),
            )

    def purge(self, arn: str) -> None:
        with self.transaction() as conn:
            self._purge(conn, "arn = ?", (arn,))

    def purge_expired(self, now: float) -> None:
        """Secrets whose recovery window has passed are gone, as on AWS."""
        with self._lock:  # a read first: most requests have nothing to purge
            due = self._conn.execute(
                "SELECT 1 FROM secrets WHERE deletion IS NOT NULL AND deletion <= ? LIMIT 1",
                (now,),
            ).fetchone()
        if due is None:
            return
        with self.transaction() as conn:
            self._purge(conn, "deletion IS NOT NULL AND deletion <= ?", (now,))

    def _purge(self, conn: sqlite3.Connection, where: str, args: Sequence[Any]) -> None:
        arns = [a for (a,) in conn.execute(f"SELECT arn FROM secrets WHERE {where}", args)]
        for arn in arns:
            conn.execute("DELETE FROM secret_stages WHERE arn = ?", (arn,))
            conn.execute("DELETE FROM secret_versions WHERE arn = ?", (arn,))
            conn.execute("DELETE FROM secret_provisioned WHERE arn = ?", (arn,))
            conn.execute("DELETE FROM secrets WHERE arn = ?", (arn,))

    def accessed(self, arn: str, version_id: str, day: float) -> None:
        with self.transaction() as conn:
            conn.execute("UPDATE secrets SET last_accessed = ? WHERE arn = ?", (day, arn))
            conn.execute(
                "UPDATE secret_versions SET last_accessed = ? WHERE arn = ? AND version_id = ?",
                (day, arn, version_id),
            )

    # -- template provisioning -----------------------------------------------------

    def provisioned_fingerprint(self, arn: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT fingerprint FROM secret_provisioned WHERE arn = ?", (arn,)
            ).fetchone()
        return None if row is None else str(row[0])

    def set_provisioned_fingerprint(self, arn: str, fingerprint: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO secret_provisioned (arn, fingerprint) VALUES (?, ?) "
                "ON CONFLICT (arn) DO UPDATE SET fingerprint = excluded.fingerprint",
                (arn, fingerprint),
            )
