"""Applying a database's migrations once each, tracked in ``schema_migrations``.

Each file runs in its own transaction together with the row recording it, so a
failing migration leaves nothing half-applied and is tried again next time. A file
changed after it was applied is refused (its checksum no longer matches): write a
new migration instead. An advisory lock keeps two processes (``up`` and ``invoke``
on the same state) from applying the same file twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from serverlite.errors import TemplateError

TABLE_SQL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    name text PRIMARY KEY,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)
"""
LOCK_ID = 0x5E4E41  # any constant: the migrations of one database are serialized


def checksum(sql: str) -> str:
    return hashlib.sha256(sql.encode()).hexdigest()


def ensure_database(admin_url: str, name: str) -> bool:
    """Create the database ``name`` (a checked identifier) if missing; True if created."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def apply(url: str, files: Sequence[Path]) -> list[str]:
    """Apply the files not applied yet, in order; the names of those applied now."""
    import psycopg

    done: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_ID,))
        conn.execute(TABLE_SQL)
        rows = conn.execute("SELECT name, checksum FROM schema_migrations").fetchall()
        applied = {str(name): str(digest) for name, digest in rows}
        for file in files:
            text = file.read_text(encoding="utf-8")
            digest = checksum(text)
            if file.name in applied:
                if applied[file.name] != digest:
                    raise TemplateError(
                        str(file), "", "changed after it was applied; add a new migration instead"
                    )
                continue
            try:
                with conn.transaction():
                    conn.execute(text.encode())  # several statements: no parameters
                    conn.execute(
                        "INSERT INTO schema_migrations (name, checksum) VALUES (%s, %s)",
                        (file.name, digest),
                    )
            except psycopg.Error as exc:
                raise TemplateError(str(file), "", f"migration failed: {exc}") from exc
            done.append(file.name)
    return done
