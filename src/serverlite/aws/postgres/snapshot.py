"""A database's rows as its migrations left them, kept in memory, and put back on a
test's reset (embedded databases only: a server given by URL is the user's own).

``take`` copies every table's rows (``COPY ... TO STDOUT``, binary) and every sequence's
position; ``restore`` empties the tables in one ``TRUNCATE`` and copies the rows back,
triggers and foreign keys off while it does (``session_replication_role = replica``: an
append-only table's TRUNCATE trigger guards the application, not a test's reset), then
puts the sequences back. ``schema_migrations`` is left alone: the schema does not change. The
functions' open connections stay usable; a transaction left open by one would block the
truncate, so it waits at most ``LOCK_TIMEOUT``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LOCK_TIMEOUT = "5s"
_TABLES = """
SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND tablename <> 'schema_migrations'
ORDER BY 1
"""
_SEQUENCES = """
SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences
WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
"""


@dataclass
class Snapshot:
    tables: list[str] = field(default_factory=list)
    rows: dict[str, bytes] = field(default_factory=dict)  # tables that had rows
    sequences: dict[str, int | None] = field(default_factory=dict)  # None: never called


def take(url: str) -> Snapshot:
    import psycopg

    snapshot = Snapshot()
    with psycopg.connect(url, autocommit=True) as conn:
        snapshot.tables = [str(r[0]) for r in conn.execute(_TABLES).fetchall()]
        for table in snapshot.tables:
            if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone() != (True,):
                continue
            data = bytearray()
            with conn.cursor().copy(f"COPY {table} TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    data += chunk
            snapshot.rows[table] = bytes(data)
        for name, last in conn.execute(_SEQUENCES).fetchall():
            snapshot.sequences[str(name)] = None if last is None else int(last)
    return snapshot


def restore(url: str, snapshot: Snapshot) -> None:
    import psycopg

    if not snapshot.tables:
        return
    with psycopg.connect(url) as conn, conn.transaction():
        conn.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
        current = {str(r[0]) for r in conn.execute(_TABLES).fetchall()}
        tables = [t for t in snapshot.tables if t in current]
        # Triggers off while the rows go and come back: the application's own (an
        # append-only table refusing TRUNCATE, audit triggers) guard its writes, not this;
        # foreign keys too: the rows were consistent when taken, put back in any order.
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        for table, data in snapshot.rows.items():
            if table in current:
                with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.write(data)
        sequences = {str(r[0]) for r in conn.execute(_SEQUENCES).fetchall()}
        for name, last in snapshot.sequences.items():
            if name not in sequences:
                continue
            if last is None:  # never used: nextval gives the start again
                conn.execute(
                    "SELECT setval(%s::regclass, seqstart, false) FROM pg_sequence"
                    " WHERE seqrelid = %s::regclass",
                    (name, name),
                )
            else:
                conn.execute("SELECT setval(%s::regclass, %s, true)", (name, last))
