"""The schema's migrations: the SQL files next to this module, applied once each.

serverlite applies them on ``up`` (the template's ``Custom::ServerlitePostgres``); on
AWS the same resource calls the MigrateDatabase function, which runs ``apply`` here.
Both record applied files in ``schema_migrations`` by name and checksum, each file in
its own transaction, under an advisory lock.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import psycopg

DIRECTORY = Path(__file__).parent / "migrations"
LOCK_ID = 0x5E4E41  # the same lock serverlite takes
TABLE_SQL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""


class MigrationChanged(Exception):
    """A file was edited after it was applied."""


def files() -> list[Path]:
    return sorted(DIRECTORY.glob("*.sql"))


def apply(conn: psycopg.Connection[Any], paths: list[Path] | None = None) -> list[str]:
    """Apply the files not applied yet (autocommit connection); the names applied now."""
    done = []
    conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
    try:
        conn.execute(TABLE_SQL)
        rows = conn.execute("SELECT name, checksum FROM schema_migrations").fetchall()
        applied = dict(rows)
        for path in files() if paths is None else paths:
            text = path.read_text(encoding="utf-8")
            digest = hashlib.sha256(text.encode()).hexdigest()
            if path.name in applied:
                if applied[path.name] != digest:
                    raise MigrationChanged(f"{path.name} changed after it was applied")
                continue
            with conn.transaction():
                conn.execute(text.encode())
                conn.execute(
                    "INSERT INTO schema_migrations (name, checksum) VALUES (%s, %s)",
                    (path.name, digest),
                )
            done.append(path.name)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_ID,))
    return done
