"""EventBridge's durable state on SQLite (WAL), ``<state>/events.db``.

Every write is one transaction; when a call returns, what it wrote survives a
kill -9. PutEvents commits the deliveries it routed (and archived copies) before
it answers, so an acknowledged event is never lost.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any

from serverlite.state import LockedDb

from .records import Archive, Bus, Delivery, Replay, Rule, Schedule, Target

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buses (
    name TEXT PRIMARY KEY, description TEXT NOT NULL, created REAL NOT NULL,
    modified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rules (
    bus TEXT NOT NULL, name TEXT NOT NULL, pattern TEXT, schedule TEXT, state TEXT NOT NULL,
    description TEXT NOT NULL, role_arn TEXT, created REAL NOT NULL, managed TEXT,
    PRIMARY KEY (bus, name)
);
CREATE TABLE IF NOT EXISTS targets (
    bus TEXT NOT NULL, rule TEXT NOT NULL, id TEXT NOT NULL, spec TEXT NOT NULL,
    position INTEGER NOT NULL, PRIMARY KEY (bus, rule, id)
);
CREATE TABLE IF NOT EXISTS archives (
    name TEXT PRIMARY KEY, bus TEXT NOT NULL, description TEXT NOT NULL, pattern TEXT,
    retention_days INTEGER NOT NULL, created REAL NOT NULL, state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS archived_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, archive TEXT NOT NULL, at REAL NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS archived_events_by_archive ON archived_events (archive, seq);
CREATE TABLE IF NOT EXISTS managed_archives (
    name TEXT PRIMARY KEY, fingerprint TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS replays (
    name TEXT PRIMARY KEY, archive TEXT NOT NULL, description TEXT NOT NULL,
    start REAL NOT NULL, "end" REAL NOT NULL, destination TEXT NOT NULL, state TEXT NOT NULL,
    reason TEXT NOT NULL, started REAL NOT NULL, finished REAL, last_replayed REAL,
    cursor INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS schedules (
    grp TEXT NOT NULL, name TEXT NOT NULL, spec TEXT NOT NULL, created REAL NOT NULL,
    modified REAL NOT NULL, managed TEXT, PRIMARY KEY (grp, name)
);
CREATE TABLE IF NOT EXISTS schedule_state (
    key TEXT PRIMARY KEY, last_fired REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, payload TEXT NOT NULL,
    event TEXT NOT NULL, enqueued_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    due_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (due_at);
"""
_RULE = "bus, name, pattern, schedule, state, description, role_arn, created, managed"
_ARCHIVE = "name, bus, description, pattern, retention_days, created, state"
_REPLAY = (
    'name, archive, description, start, "end", destination, state, reason, started, finished, '
    "last_replayed, cursor"
)

NewDelivery = tuple[dict[str, Any], str, str]  # target snapshot, payload, event


class EventsDb(LockedDb):
    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA, reentrant=True)

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # -- buses -------------------------------------------------------------------------
    def buses(self) -> list[Bus]:
        return [Bus(*r) for r in self._all("SELECT * FROM buses ORDER BY name")]

    def bus(self, name: str) -> Bus | None:
        rows = self._all("SELECT * FROM buses WHERE name = ?", (name,))
        return Bus(*rows[0]) if rows else None

    def put_bus(self, bus: Bus) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO buses VALUES (?, ?, ?, ?)",
                (bus.name, bus.description, bus.created, bus.modified),
            )

    def delete_bus(self, name: str) -> None:
        with self.transaction() as db:
            for table in ("targets", "rules"):
                db.execute(f"DELETE FROM {table} WHERE bus = ?", (name,))
            db.execute("DELETE FROM buses WHERE name = ?", (name,))

    # -- rules and targets -------------------------------------------------------------
    def rules(self, bus: str | None = None) -> list[Rule]:
        if bus is None:
            return [Rule(*r) for r in self._all(f"SELECT {_RULE} FROM rules ORDER BY bus, name")]
        rows = self._all(f"SELECT {_RULE} FROM rules WHERE bus = ? ORDER BY name", (bus,))
        return [Rule(*r) for r in rows]

    def rule(self, bus: str, name: str) -> Rule | None:
        rows = self._all(f"SELECT {_RULE} FROM rules WHERE bus = ? AND name = ?", (bus, name))
        return Rule(*rows[0]) if rows else None

    def put_rule(self, rule: Rule) -> None:
        with self.transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO rules ({_RULE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    rule.bus,
                    rule.name,
                    rule.pattern,
                    rule.schedule,
                    rule.state,
                    rule.description,
                    rule.role_arn,
                    rule.created,
                    rule.managed,
                ),
            )

    def delete_rule(self, bus: str, name: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM targets WHERE bus = ? AND rule = ?", (bus, name))
            db.execute("DELETE FROM rules WHERE bus = ? AND name = ?", (bus, name))

    def targets(self, bus: str | None = None, rule: str | None = None) -> list[Target]:
        sql, args = "SELECT bus, rule, id, spec FROM targets", []
        if bus is not None and rule is not None:
            sql, args = sql + " WHERE bus = ? AND rule = ?", [bus, rule]
        rows = self._all(sql + " ORDER BY bus, rule, position, id", args)
        return [Target(b, r, i, json.loads(spec)) for b, r, i, spec in rows]

    def put_targets(self, bus: str, rule: str, specs: Iterable[dict[str, Any]]) -> None:
        with self.transaction() as db:
            (position,) = db.execute(
                "SELECT COALESCE(MAX(position), 0) FROM targets WHERE bus = ? AND rule = ?",
                (bus, rule),
            ).fetchone()
            for spec in specs:
                position += 1
                db.execute(
                    "INSERT INTO targets VALUES (?, ?, ?, ?, ?) ON CONFLICT (bus, rule, id) "
                    "DO UPDATE SET spec = excluded.spec",
                    (bus, rule, spec["Id"], json.dumps(spec), position),
                )

    def remove_targets(self, bus: str, rule: str, ids: Iterable[str]) -> None:
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM targets WHERE bus = ? AND rule = ? AND id = ?",
                [(bus, rule, i) for i in ids],
            )

    # -- archives and replays ----------------------------------------------------------
    def archives(self) -> list[Archive]:
        rows = self._all(
            f"SELECT {_ARCHIVE}, (SELECT COUNT(*) FROM archived_events e WHERE e.archive = a.name),"
            " (SELECT COALESCE(SUM(LENGTH(event)), 0) FROM archived_events e"
            " WHERE e.archive = a.name) FROM archives a ORDER BY name"
        )
        return [Archive(*r) for r in rows]

    def archive(self, name: str) -> Archive | None:
        return next((a for a in self.archives() if a.name == name), None)

    def put_archive(self, archive: Archive) -> None:
        with self.transaction() as db:
            _insert_archive(db, archive)

    def delete_archive(self, name: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM archived_events WHERE archive = ?", (name,))
            db.execute("DELETE FROM archives WHERE name = ?", (name,))
            db.execute("DELETE FROM managed_archives WHERE name = ?", (name,))

    def managed_archives(self) -> dict[str, str]:
        """Archives a template declared: name -> the declaration's fingerprint."""
        return dict(self._all("SELECT name, fingerprint FROM managed_archives"))

    def put_managed_archive(self, archive: Archive, fingerprint: str) -> None:
        """Store a template's archive (events already archived under it are kept)."""
        with self.transaction() as db:
            _insert_archive(db, archive)
            db.execute(
                "INSERT OR REPLACE INTO managed_archives VALUES (?, ?)", (archive.name, fingerprint)
            )

    def expire_archived(self, name: str, before: float) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM archived_events WHERE archive = ? AND at < ?", (name, before))

    def archived_after(
        self, name: str, seq: int, start: float, end: float, limit: int
    ) -> list[tuple[int, float, str]]:
        return self._all(
            "SELECT seq, at, event FROM archived_events WHERE archive = ? AND seq > ?"
            " AND at >= ? AND at < ? ORDER BY seq LIMIT ?",
            (name, seq, start, end, limit),
        )

    def replays(self) -> list[Replay]:
        rows = self._all(f"SELECT {_REPLAY} FROM replays ORDER BY started")
        return [_replay(r) for r in rows]

    def replay(self, name: str) -> Replay | None:
        rows = self._all(f"SELECT {_REPLAY} FROM replays WHERE name = ?", (name,))
        return _replay(rows[0]) if rows else None

    def put_replay(self, r: Replay) -> None:
        with self.transaction() as db:
            db.execute(
                f"INSERT OR REPLACE INTO replays ({_REPLAY}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    r.name,
                    r.archive,
                    r.description,
                    r.start,
                    r.end,
                    json.dumps(r.destination),
                    r.state,
                    r.reason,
                    r.started,
                    r.finished,
                    r.last_replayed,
                    r.cursor,
                ),
            )

    # -- Scheduler schedules and schedule state ----------------------------------------
    def schedules(self) -> list[Schedule]:
        rows = self._all(
            "SELECT grp, name, spec, created, modified, managed FROM schedules ORDER BY grp, name"
        )
        return [Schedule(g, n, json.loads(s), c, m, mg) for g, n, s, c, m, mg in rows]

    def schedule(self, group: str, name: str) -> Schedule | None:
        return next((s for s in self.schedules() if (s.group, s.name) == (group, name)), None)

    def put_schedule(self, s: Schedule) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO schedules VALUES (?, ?, ?, ?, ?, ?)",
                (s.group, s.name, json.dumps(s.spec), s.created, s.modified, s.managed),
            )

    def delete_schedule(self, group: str, name: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM schedules WHERE grp = ? AND name = ?", (group, name))
            db.execute("DELETE FROM schedule_state WHERE key = ?", (f"schedule:{group}/{name}",))

    def last_fired(self) -> dict[str, float]:
        return dict(self._all("SELECT key, last_fired FROM schedule_state"))

    # -- deliveries --------------------------------------------------------------------
    def enqueue(
        self,
        deliveries: Sequence[NewDelivery],
        now: float,
        archived: Sequence[tuple[str, str]] = (),
        fired: tuple[str, float] | None = None,
    ) -> None:
        """Store routed deliveries, archived copies and a schedule's tick, atomically."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO deliveries (target, payload, event, enqueued_at, due_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(json.dumps(t), payload, event, now, now) for t, payload, event in deliveries],
            )
            db.executemany(
                "INSERT INTO archived_events (archive, at, event) VALUES (?, ?, ?)",
                [(name, now, event) for name, event in archived],
            )
            if fired is not None:
                db.execute("INSERT OR REPLACE INTO schedule_state VALUES (?, ?)", fired)

    def due(self, now: float, limit: int, skip: Collection[int]) -> list[Delivery]:
        rows = self._all(
            "SELECT id, target, payload, event, enqueued_at, attempts FROM deliveries"
            " WHERE due_at <= ? ORDER BY due_at, id LIMIT ?",
            (now, limit + len(skip)),
        )
        return [
            Delivery(i, json.loads(t), p, e, q, a) for i, t, p, e, q, a in rows if i not in skip
        ][:limit]

    def next_due(self, skip: Collection[int] = ()) -> float | None:
        """When the next delivery not in ``skip`` (those in flight) is due."""
        marks = ",".join("?" * len(skip))
        rows = self._all(
            f"SELECT MIN(due_at) FROM deliveries WHERE id NOT IN ({marks})", list(skip)
        )
        return None if rows[0][0] is None else float(rows[0][0])

    def pending(self) -> int:
        return int(self._all("SELECT COUNT(*) FROM deliveries")[0][0])

    def delivered(self, ids: Iterable[int]) -> None:
        with self.transaction() as db:
            db.executemany("DELETE FROM deliveries WHERE id = ?", [(i,) for i in ids])

    def retry(self, delivery_id: int, due_at: float) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE deliveries SET attempts = attempts + 1, due_at = ? WHERE id = ?",
                (due_at, delivery_id),
            )


def _replay(row: Sequence[Any]) -> Replay:
    values = list(row)
    values[5] = json.loads(values[5])
    return Replay(*values)


def _insert_archive(db: sqlite3.Connection, archive: Archive) -> None:
    db.execute(
        f"INSERT OR REPLACE INTO archives ({_ARCHIVE}) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            archive.name,
            archive.bus,
            archive.description,
            archive.pattern,
            archive.retention_days,
            archive.created,
            archive.state,
        ),
    )
