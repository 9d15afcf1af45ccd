"""Task tokens: ``.waitForTaskToken`` tasks wait here for SendTaskSuccess / Failure.

A token is stored when its task starts, so an answer given while serverlite is down
(or before the waiting task resumes) is kept and read when it does. Heartbeats move
``heartbeat_at``; a task past its HeartbeatSeconds expires its token (a later answer
is AWS's ``TaskTimedOut``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from .store import StepFunctionsDb, Token


class TokenBoard:
    def __init__(self, db: StepFunctionsDb, clock: Callable[[], float]) -> None:
        self.db = db
        self.clock = clock
        self._changed: dict[str, asyncio.Event] = {}

    def register(self, token: str, execution: str, path: str, now: float) -> None:
        self.db.add_token(token, execution, path, now)

    def get(self, token: str) -> Token | None:
        return self.db.token(token)

    def expire(self, token: str) -> None:
        self.db.update_token(token, status="expired")

    def answer(self, token: str, **fields: Any) -> bool:
        """Record SendTaskSuccess (output=) or SendTaskFailure (error=, cause=)."""
        changed = self.db.update_token(token, **fields)
        self._wake(token)
        return changed

    def heartbeat(self, token: str) -> bool:
        changed = self.db.update_token(token, heartbeat_at=self.clock())
        self._wake(token)
        return changed

    def _wake(self, token: str) -> None:
        event = self._changed.get(token)
        if event is not None:
            event.set()

    async def wait(self, token: str, timeout: float | None) -> None:
        """Until the token changes (an answer, a heartbeat) or ``timeout`` seconds pass."""
        event = self._changed.setdefault(token, asyncio.Event())
        record = self.db.token(token)
        if record is None or record.status != "waiting":  # answered before we listened
            return
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)
        finally:
            event.clear()
            self._changed.pop(token, None)
