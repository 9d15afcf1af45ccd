"""Step Functions on SQLite (WAL): state machines, executions, their history events and
frames, task tokens and tags. Each call is one transaction; a returned write is durable,
so a Standard execution's every transition survives a kill -9.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverlite.state import LockedDb

from .journal import Event, Frame

_SCHEMA = """
CREATE TABLE IF NOT EXISTS machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    type TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    revision TEXT NOT NULL,
    extra TEXT NOT NULL,            -- loggingConfiguration, tracingConfiguration, ...
    fingerprint TEXT NOT NULL DEFAULT ''  -- what the template last provisioned
);
CREATE TABLE IF NOT EXISTS tags (
    arn TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS executions (
    arn TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    started REAL NOT NULL,
    stopped REAL,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    redrive_count INTEGER NOT NULL DEFAULT 0,
    redrive_date REAL,
    trace_header TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS executions_by_machine ON executions (machine_arn, started);
CREATE TABLE IF NOT EXISTS history (
    execution TEXT NOT NULL,
    id INTEGER NOT NULL,
    previous INTEGER NOT NULL,
    type TEXT NOT NULL,
    timestamp REAL NOT NULL,
    details TEXT NOT NULL,
    PRIMARY KEY (execution, id)
);
CREATE TABLE IF NOT EXISTS frames (
    execution TEXT NOT NULL,
    path TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (execution, path)
);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY,
    execution TEXT NOT NULL,
    path TEXT NOT NULL,
    status TEXT NOT NULL,           -- waiting | succeeded | failed | expired
    output TEXT,
    error TEXT NOT NULL DEFAULT '',
    cause TEXT NOT NULL DEFAULT '',
    heartbeat_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Machine:
    arn: str
    name: str
    definition: str
    role_arn: str
    type: str
    created: float
    updated: float
    revision: str
    extra: dict[str, Any]


@dataclass(frozen=True)
class Execution:
    arn: str
    machine_arn: str
    name: str
    type: str
    status: str
    input: str
    output: str | None
    error: str | None
    cause: str | None
    started: float
    stopped: float | None
    definition: str
    role_arn: str
    redrive_count: int
    redrive_date: float | None
    trace_header: str


@dataclass(frozen=True)
class Token:
    token: str
    execution: str
    path: str
    status: str
    output: Any
    error: str
    cause: str
    heartbeat_at: float


_MACHINE = "arn, name, definition, role_arn, type, created, updated, revision, extra"
_EXECUTION = (
    "arn, machine_arn, name, type, status, input, output, error, cause, started, stopped, "
    "definition, role_arn, redrive_count, redrive_date, trace_header"
)


def _frame_json(frame: Frame) -> str:
    return json.dumps(
        {
            "state": frame.state,
            "input": frame.input,
            "variables": frame.variables,
            "status": frame.status,
            "output": frame.output,
            "error": frame.error,
            "cause": frame.cause,
            "progress": frame.progress,
            "last_event": frame.last_event,
        },
        separators=(",", ":"),
    )


class StepFunctionsDb(LockedDb):
    def __init__(self, path: Path) -> None:
        super().__init__(path, _SCHEMA)

    # -- state machines ----------------------------------------------------------------

    def put_machine(self, machine: Machine, fingerprint: str | None = None) -> None:
        with self.transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO machines ({_MACHINE}, fingerprint) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "COALESCE(?, (SELECT fingerprint FROM machines WHERE arn = ?), ''))",
                (
                    machine.arn,
                    machine.name,
                    machine.definition,
                    machine.role_arn,
                    machine.type,
                    machine.created,
                    machine.updated,
                    machine.revision,
                    json.dumps(machine.extra),
                    fingerprint,
                    machine.arn,
                ),
            )

    def machine(self, arn: str) -> Machine | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_MACHINE} FROM machines WHERE arn = ?", (arn,)
            ).fetchone()
        return _machine(row) if row else None

    def fingerprint(self, arn: str) -> str:
        with self._lock:
            row = self._conn.execute(
                "SELECT fingerprint FROM machines WHERE arn = ?", (arn,)
            ).fetchone()
        return str(row[0]) if row else ""

    def machines(self) -> list[Machine]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_MACHINE} FROM machines ORDER BY created, arn"
            ).fetchall()
        return [_machine(row) for row in rows]

    def delete_machine(self, arn: str) -> None:
        with self.transaction() as conn:
            conn.execute("DELETE FROM machines WHERE arn = ?", (arn,))
            conn.execute("DELETE FROM tags WHERE arn = ?", (arn,))

    # -- tags ----------------------------------------------------------------------------

    def tags(self, arn: str) -> dict[str, str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, value FROM tags WHERE arn = ? ORDER BY key", (arn,)
            ).fetchall()
        return dict(rows)

    def put_tags(self, arn: str, tags: dict[str, str]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO tags (arn, key, value) VALUES (?, ?, ?)",
                [(arn, key, value) for key, value in tags.items()],
            )

    def remove_tags(self, arn: str, keys: Sequence[str]) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "DELETE FROM tags WHERE arn = ? AND key = ?", [(arn, key) for key in keys]
            )

    # -- executions ----------------------------------------------------------------------

    def add_execution(self, execution: Execution) -> None:
        with self.transaction() as conn:
            conn.execute(
                f"INSERT INTO executions ({_EXECUTION}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    execution.arn,
                    execution.machine_arn,
                    execution.name,
                    execution.type,
                    execution.status,
                    execution.input,
                    execution.output,
                    execution.error,
                    execution.cause,
                    execution.started,
                    execution.stopped,
                    execution.definition,
                    execution.role_arn,
                    execution.redrive_count,
                    execution.redrive_date,
                    execution.trace_header,
                ),
            )

    def execution(self, arn: str) -> Execution | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_EXECUTION} FROM executions WHERE arn = ?", (arn,)
            ).fetchone()
        return Execution(*row) if row else None

    def executions(
        self, machine_arn: str | None, status: str | None, after: tuple[float, str] | None
    ) -> list[Execution]:
        """Newest first, as ListExecutions answers."""
        sql = f"SELECT {_EXECUTION} FROM executions WHERE 1 = 1"
        args: list[Any] = []
        if machine_arn is not None:
            sql += " AND machine_arn = ?"
            args.append(machine_arn)
        if status is not None:
            sql += " AND status = ?"
            args.append(status)
        if after is not None:
            sql += " AND (started < ? OR (started = ? AND arn < ?))"
            args += [after[0], after[0], after[1]]
        sql += " ORDER BY started DESC, arn DESC"
        with self._lock:
            rows = self._conn.execute(sql, args).fetchall()
        return [Execution(*row) for row in rows]

    def running(self) -> list[Execution]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_EXECUTION} FROM executions WHERE status = 'RUNNING' AND type = "
                "'STANDARD' ORDER BY started"
            ).fetchall()
        return [Execution(*row) for row in rows]

    def finish_execution(
        self,
        arn: str,
        status: str,
        stopped: float,
        output: str | None = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE executions SET status = ?, stopped = ?, output = ?, error = ?, "
                "cause = ? WHERE arn = ?",
                (status, stopped, output, error, cause, arn),
            )

    def redrive(self, arn: str, when: float) -> None:
        """Back to RUNNING; failed frames go on from the state they failed in."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE executions SET status = 'RUNNING', stopped = NULL, error = NULL, "
                "cause = NULL, redrive_count = redrive_count + 1, redrive_date = ? "
                "WHERE arn = ?",
                (when, arn),
            )
            rows = conn.execute(
                "SELECT path, data FROM frames WHERE execution = ?", (arn,)
            ).fetchall()
            for path, data in rows:
                frame = json.loads(data)
                if frame["status"] == "failed":
                    frame.update(status="running", error="", cause="", progress={})
                    conn.execute(
                        "UPDATE frames SET data = ? WHERE execution = ? AND path = ?",
                        (json.dumps(frame), arn, path),
                    )

    def delete_executions(self, machine_arn: str) -> None:
        with self.transaction() as conn:
            arns = [
                row[0]
                for row in conn.execute(
                    "SELECT arn FROM executions WHERE machine_arn = ? AND status != 'RUNNING'",
                    (machine_arn,),
                )
            ]
            for arn in arns:
                for table in ("history", "frames", "tokens"):
                    conn.execute(f"DELETE FROM {table} WHERE execution = ?", (arn,))
                conn.execute("DELETE FROM executions WHERE arn = ?", (arn,))

    def truncate(self) -> None:
        """Every execution, its history, frames and tokens gone; state machines stay."""
        with self.transaction() as conn:
            for table in ("executions", "history", "frames", "tokens"):
                conn.execute(f"DELETE FROM {table}")

    # -- history and frames ----------------------------------------------------------------

    def commit(self, execution: str, events: Sequence[Event], frames: Sequence[Frame]) -> None:
        with self.transaction() as conn:
            if events:
                conn.executemany(
                    "INSERT INTO history (execution, id, previous, type, timestamp, details) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            execution,
                            e.id,
                            e.previous,
                            e.type,
                            e.timestamp,
                            json.dumps(e.details, separators=(",", ":")),
                        )
                        for e in events
                    ],
                )
            if frames:
                conn.executemany(
                    "INSERT OR REPLACE INTO frames (execution, path, data) VALUES (?, ?, ?)",
                    [(execution, f.path, _frame_json(f)) for f in frames],
                )

    def frame(self, execution: str, path: str) -> Frame | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT data FROM frames WHERE execution = ? AND path = ?", (execution, path)
            ).fetchone()
        if row is None:
            return None
        data = json.loads(row[0])
        return Frame(
            path,
            data["state"],
            data["input"],
            data["variables"],
            data["status"],
            data["output"],
            data["error"],
            data["cause"],
            data["progress"],
            data["last_event"],
        )

    def history(self, execution: str) -> list[Event]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT id, previous, type, timestamp, details FROM history "
                "WHERE execution = ? ORDER BY id",
                (execution,),
            ).fetchall()
        return [Event(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def last_event_id(self, execution: str) -> int:
        with self._lock:
            row = self._conn.execute(
                "SELECT MAX(id) FROM history WHERE execution = ?", (execution,)
            ).fetchone()
        return int(row[0] or 0)

    # -- task tokens -----------------------------------------------------------------------

    def add_token(self, token: str, execution: str, path: str, now: float) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO tokens (token, execution, path, status, heartbeat_at) "
                "VALUES (?, ?, ?, 'waiting', ?)",
                (token, execution, path, now),
            )

    def token(self, token: str) -> Token | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT token, execution, path, status, output, error, cause, heartbeat_at "
                "FROM tokens WHERE token = ?",
                (token,),
            ).fetchone()
        if row is None:
            return None
        output = json.loads(row[4]) if row[4] is not None else None
        return Token(row[0], row[1], row[2], row[3], output, row[5], row[6], row[7])

    def update_token(self, token: str, only_waiting: bool = True, **fields: Any) -> bool:
        """Change a token; False when it is not waiting (already answered or expired)."""
        if "output" in fields:
            fields["output"] = json.dumps(fields["output"])
        sets = ", ".join(f"{name} = ?" for name in fields)
        sql = f"UPDATE tokens SET {sets} WHERE token = ?"
        if only_waiting:
            sql += " AND status = 'waiting'"
        with self.transaction() as conn:
            changed = conn.execute(sql, (*fields.values(), token)).rowcount
        return bool(changed)


def _machine(row: Sequence[Any]) -> Machine:
    return Machine(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], json.loads(row[8])
    )


class SqliteJournal:
    """A Standard execution's journal: every commit one SQLite transaction."""

    def __init__(self, db: StepFunctionsDb, execution: str) -> None:
        self.db = db
        self.execution = execution
        self._frames: dict[str, Frame] = {}

    def frame(self, path: str) -> Frame | None:
        found = self._frames.get(path)
        if found is None:
            found = self.db.frame(self.execution, path)
            if found is not None:
                self._frames[path] = found
        return found

    def commit(self, events: Sequence[Event], frames: Sequence[Frame]) -> None:
        self.db.commit(self.execution, events, frames)
        for frame in frames:
            self._frames[frame.path] = frame

    def last_event_id(self) -> int:
        return self.db.last_event_id(self.execution)

    def events(self) -> list[Event]:
        return self.db.history(self.execution)
