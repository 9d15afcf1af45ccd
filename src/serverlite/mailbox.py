"""Items in arrival order and one consumer that awaits the next: the connection's parsed
requests (gateway HTTP server) and an environment channel's frames.

Lighter than ``asyncio.Queue`` on a path every request takes: a deque, and one future
only while the consumer actually waits.
"""

from __future__ import annotations

import asyncio
import collections
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    def __init__(self) -> None:
        self._items: collections.deque[T] = collections.deque()
        self._waiter: asyncio.Future[None] | None = None
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: T) -> None:
        self._items.append(item)
        self._wake()

    def close(self) -> None:
        """No more items will come: a waiting ``get`` on an empty mailbox raises EOFError."""
        self.closed = True
        self._wake()

    async def get(self) -> T:
        while not self._items:
            if self.closed:
                raise EOFError("mailbox closed")
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._items.popleft()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
