"""serverlite's end of an environment's channel: an asyncio protocol, ``Channel``.

Frames (their format, the environment's blocking end) are frames.py; this module adds
the side that runs in serverlite's event loop: frames are cut out of the bytes as they
arrive, with no stream reader in between (this sits on every invocation's path).
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Coroutine
from typing import Any

from serverlite.functions.frames import (
    BlockingChannel,
    Frame,
    Header,
    Loads,
    _FrameBuffer,
    encode,
    encode_raw,
    to_environment,
)
from serverlite.mailbox import Mailbox

__all__ = [
    "BlockingChannel",
    "Channel",
    "Frame",
    "Header",
    "Loads",
    "_FrameBuffer",
    "encode",
    "encode_raw",
    "open_channel",
    "to_environment",
]


class Channel(asyncio.Protocol):
    """serverlite's end of an environment's socket: ``await recv()`` the next frame.

    ``loads`` reads the environment's JSON headers (serverlite passes a faster one
    than the stdlib's).
    """

    def __init__(self, loads: Loads = json.loads) -> None:
        self._frames = _FrameBuffer(loads)
        self._inbox: Mailbox[Frame] = Mailbox()
        self._transport: asyncio.Transport | None = None

    # -- asyncio.Protocol --------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is no subclass

    def data_received(self, data: bytes) -> None:
        for frame in self._frames.feed(data):
            self._inbox.put(frame)

    def eof_received(self) -> bool:
        self._inbox.close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._inbox.close()

    # -- use ---------------------------------------------------------------------
    def send(self, header: Header, body: bytes = b"") -> None:
        if self._transport is None or self._inbox.closed:
            raise EOFError("channel closed")
        self._transport.write(to_environment(header, body))

    def recv(self) -> Coroutine[Any, Any, Frame]:
        """The next frame (the mailbox's own coroutine: no frame of this one around it,
        on every invocation's path)."""
        return self._inbox.get()

    @property
    def closed(self) -> bool:
        """The environment's end is gone (its EOF or a lost connection was seen)."""
        return self._inbox.closed

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def open_channel(sock: socket.socket, loads: Loads = json.loads) -> Channel:
    loop = asyncio.get_running_loop()
    _transport, channel = await loop.create_unix_connection(lambda: Channel(loads), sock=sock)
    return channel
