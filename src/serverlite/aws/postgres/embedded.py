"""The embedded PostgreSQL server: a real one, from the ``pgserver`` package.

``pgserver`` runs ``initdb`` once, then ``pg_ctl start`` with a Unix socket only (no
TCP port to collide with), and reuses a server already running on the same data
directory. It counts the processes holding a handle in ``.handle_pids.json`` and
stops the server when the last one lets go; a serverlite killed with -9 leaves its
pid there, so dead pids are dropped before attaching, or the server would never stop.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

from serverlite.errors import ConfigError

HANDLES = ".handle_pids.json"
# What the server's log may say. Its log is a file under the state directory, and the
# defaults put row values in it: `DETAIL: Key (email)=(ada@example.com) already exists`,
# `Failing row contains (...)`, the failing statement's text, and client errors whose
# messages quote an input value. Clients get all of these in their error anyway.
QUIET_LOGGING = {
    "log_error_verbosity": "terse",  # no DETAIL, HINT, QUERY or CONTEXT lines
    "log_min_error_statement": "panic",  # no STATEMENT lines
    "log_min_messages": "log",  # no ERROR or WARNING reports (start, stop, FATAL stay)
}


class EmbeddedServer:
    def __init__(self, datadir: Path) -> None:
        self.datadir = datadir.resolve()
        self._server: Any = None

    def start(self) -> None:
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset (it falls back to /tmp).
            warnings.simplefilter("ignore")
            from pgserver.postgres_server import get_server  # only when a template asks

            self.datadir.parent.mkdir(parents=True, exist_ok=True)
            _drop_dead_handles(self.datadir / HANDLES)
            try:
                self._server = get_server(self.datadir, cleanup_mode="stop")
            except Exception as exc:  # pgserver raises whatever initdb/pg_ctl raised
                log = self.datadir / "log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise ConfigError(
                    f"the embedded PostgreSQL in {self.datadir} did not start: {exc}\n{tail}"
                ) from exc
        quiet_logging(self.url("postgres"))

    def url(self, database: str) -> str:
        if self._server is None:
            raise ConfigError("the embedded PostgreSQL is not running")
        return str(self._server.get_uri(database))

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.cleanup()  # pg_ctl stop (fast) when this process held the last handle


def quiet_logging(admin_url: str) -> None:
    """Apply QUIET_LOGGING (kept in postgresql.auto.conf) and reload, when not yet so."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", (list(QUIET_LOGGING),)
        ).fetchall()
        if {str(name): str(value) for name, value in rows} == QUIET_LOGGING:
            return
        for name, value in QUIET_LOGGING.items():
            conn.execute(
                sql.SQL("ALTER SYSTEM SET {} = {}").format(sql.Identifier(name), sql.Literal(value))
            )
        conn.execute("SELECT pg_reload_conf()")


def _drop_dead_handles(path: Path) -> None:
    try:
        pids = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    if not isinstance(pids, list):
        return
    alive = [p for p in pids if isinstance(p, int) and _alive(p)]
    if alive != pids:
        path.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
