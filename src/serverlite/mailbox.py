"""Items in arrival order and one consumer that awaits the next: the connection's parsed
requests (gateway HTTP server) and an environment channel's frames.

Lighter than ``asyncio.Queue`` on a path every request takes: a deque, and one future
only while the consumer actually waits. The consumer's loop is looked up once:
``asyncio.get_running_loop()`` makes a getpid() system call each time on Python 3.11
(it checks the loop was not inherited across a fork), twice per gateway request here.
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
        self._loop: asyncio.AbstractEventLoop | None = None  # the consumer's, once it waited
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
            loop = self._loop
            if loop is None:
                loop = self._loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            await self._waiter
        return self._items.popleft()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
