"""Amazon CloudWatch Logs over the stored function logs (JSON 1.1, Logs_20140328)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    from serverlite.aws.logs.service import LogsBackend

    return LogsBackend(context)


def kept(state_dir: Path) -> bool:
    """Whether this state holds something for the service to resume without a request:
    subscription filters made through the API (their deliveries follow new log events).
    Its log groups and events live in the observer's store either way."""
    path = state_dir / "logs.db"
    if not path.exists():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return True  # built, it says what is wrong
    try:
        return conn.execute("SELECT 1 FROM api_subscription_filters LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError as exc:
        return "no such table" not in str(exc)
    except sqlite3.Error:
        return True
    finally:
        conn.close()
