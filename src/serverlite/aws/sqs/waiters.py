"""Long polling without polling: a receive with nothing to take waits on its queue's
event, which a send (or a delete that frees a FIFO group, or a visibility change)
sets. Everything runs on the event loop's thread, so a receive that found nothing
registers its wait before any send can run: no wake-up is lost.
"""

from __future__ import annotations

import asyncio
import contextlib


class Notifier:
    def __init__(self) -> None:
        self._events: dict[int, asyncio.Event] = {}

    def notify(self, queue_id: int) -> None:
        event = self._events.pop(queue_id, None)
        if event is not None:
            event.set()

    async def wait(self, queue_id: int, timeout: float) -> None:
        """Until ``notify(queue_id)`` or ``timeout`` seconds, whichever is first."""
        event = self._events.get(queue_id)
        if event is None:
            event = self._events[queue_id] = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max(timeout, 0.0))

    def notify_all(self) -> None:
        for queue_id in list(self._events):
            self.notify(queue_id)
