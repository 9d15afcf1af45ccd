"""The live connections of one WebSocket API, and AWS's limits on them.

API Gateway closes a connection idle for 10 minutes, and any connection after 2 hours
(quotas "Idle Connection Timeout" and "Connection duration for WebSocket API"), both
with close code 1001 (going away); the clock is the cloud's, so a test's virtual clock
moves them. A message may be 128 KB, sent in frames of at most 32 KB (larger ones end
the connection with 1009, message too big: ``server.py``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from serverlite.websocket_api.events import ConnectionInfo

IDLE_TIMEOUT_S = 10 * 60
MAX_DURATION_S = 2 * 60 * 60
MAX_MESSAGE_BYTES = 128 * 1024
MAX_FRAME_BYTES = 32 * 1024
GOING_AWAY = 1001


@dataclass
class Close:
    code: int
    reason: str = ""


@dataclass
class Connection:
    info: ConnectionInfo
    last_active: float
    outbox: asyncio.Queue[str | bytes | Close] = field(default_factory=asyncio.Queue)
    closed: bool = False

    def close(self, code: int, reason: str = "") -> None:
        if not self.closed:
            self.closed = True
            self.outbox.put_nowait(Close(code, reason))


class Hub:
    """``time_scale`` (``serverlite up --time-scale``) shortens the limits as it does
    async retries: 600 makes the idle timeout 1 s."""

    def __init__(self, clock: Callable[[], float] = time.time, time_scale: float = 1.0) -> None:
        self.clock = clock
        self.time_scale = time_scale
        self.live: dict[str, Connection] = {}

    def add(self, info: ConnectionInfo) -> Connection:
        connection = Connection(info, self.clock())
        self.live[info.connection_id] = connection
        return connection

    def remove(self, connection_id: str) -> None:
        self.live.pop(connection_id, None)

    def get(self, connection_id: str) -> Connection | None:
        found = self.live.get(connection_id)
        return found if found is not None and not found.closed else None

    def touch(self, connection: Connection) -> None:
        connection.last_active = self.clock()

    def enforce_limits(self) -> None:
        now = self.clock()
        for connection in list(self.live.values()):
            too_old = now - connection.info.connected_at >= MAX_DURATION_S / self.time_scale
            if too_old or now - connection.last_active >= IDLE_TIMEOUT_S / self.time_scale:
                connection.close(GOING_AWAY, "Going away")
