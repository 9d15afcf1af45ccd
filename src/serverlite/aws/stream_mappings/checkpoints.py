"""Where each mapping is in each shard, durably (SQLite under the state directory).

    checkpoints  (mapping, shard) -> the last sequence number done with, or where a
                 starting position was fixed ("at:<time>" for LATEST / AT_TIMESTAMP)
    windows      (mapping, shard) -> the open tumbling window's start and its state
    api_mappings mappings made with CreateEventSourceMapping: their request, when changed

A checkpoint moves only after a batch is done (delivered, or sent to the on-failure
destination), so after kill -9 the batch in flight is delivered again (Lambda's
at-least-once) and nothing after it is skipped or reordered.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from serverlite import state

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkpoints (
    mapping TEXT NOT NULL,
    shard TEXT NOT NULL,
    position TEXT NOT NULL,
    PRIMARY KEY (mapping, shard)
);
CREATE TABLE IF NOT EXISTS api_mappings (
    uuid TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    modified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS windows (
    mapping TEXT NOT NULL,
    shard TEXT NOT NULL,
    start REAL NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (mapping, shard)
);
"""


class Checkpoints:
    def __init__(self, path: Path) -> None:
        self.conn = state.connect(path, check_same_thread=False)
        self.conn.executescript(SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def get(self, mapping: str, shard: str) -> str | None:
        row = self.conn.execute(
            "SELECT position FROM checkpoints WHERE mapping = ? AND shard = ?", (mapping, shard)
        ).fetchone()
        return None if row is None else str(row[0])

    def save(self, mapping: str, shard: str, position: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO checkpoints (mapping, shard, position) VALUES (?, ?, ?)",
            (mapping, shard, position),
        )

    def window(self, mapping: str, shard: str) -> tuple[float, dict[str, Any]] | None:
        row = self.conn.execute(
            "SELECT start, state FROM windows WHERE mapping = ? AND shard = ?", (mapping, shard)
        ).fetchone()
        return None if row is None else (float(row[0]), json.loads(row[1]))

    def save_window(
        self, mapping: str, shard: str, start: float | None, value: dict[str, Any]
    ) -> None:
        if start is None:
            self.conn.execute(
                "DELETE FROM windows WHERE mapping = ? AND shard = ?", (mapping, shard)
            )
            return
        self.conn.execute(
            "INSERT OR REPLACE INTO windows (mapping, shard, start, state) VALUES (?, ?, ?, ?)",
            (mapping, shard, start, json.dumps(value)),
        )

    def api_mappings(self) -> list[tuple[str, dict[str, Any], float]]:
        rows = self.conn.execute("SELECT uuid, body, modified FROM api_mappings ORDER BY rowid")
        return [(str(u), json.loads(b), float(m)) for u, b, m in rows]

    def save_api_mapping(self, mapping: str, body: dict[str, Any], modified: float) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO api_mappings (uuid, body, modified) VALUES (?, ?, ?)",
            (mapping, json.dumps(body), modified),
        )

    def delete_api_mapping(self, mapping: str) -> None:
        self.conn.execute("DELETE FROM api_mappings WHERE uuid = ?", (mapping,))

    def reset(self) -> None:
        self.conn.execute("DELETE FROM checkpoints")
        self.conn.execute("DELETE FROM windows")
