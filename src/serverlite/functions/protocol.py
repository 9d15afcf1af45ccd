"""Frames exchanged between serverlite and an execution environment.

A frame is ``!II`` (header length, body length), a header, then raw body bytes, so
payloads travel without base64 or re-encoding. The environment side is blocking (it
runs one invocation at a time): ``BlockingChannel``. The serverlite side is an
asyncio protocol, ``Channel``: frames are cut out of the bytes as they arrive, with
no stream reader in between (this sits on every invocation's path).

Headers are coded per direction. Towards the environment they are ``marshal``: the
environment is a fork of the same interpreter, and ``marshal.loads`` costs a fraction
of ``json.loads`` there (where a function's own orjson must not be shadowed by ours).
From the environment they are JSON: serverlite never unmarshals what a process
running a function's code sends, since marshal is not safe against malformed data.
"""

from __future__ import annotations

import asyncio
import collections
import json
import marshal
import socket
import struct
from collections.abc import Callable, Coroutine
from typing import Any

from serverlite.mailbox import Mailbox

_PREFIX = struct.Struct("!II")
_PREFIX_SIZE = _PREFIX.size
Header = dict[str, Any]
Frame = tuple[Header, bytes]
Loads = Callable[[bytes], Any]


def encode(header: Header, body: bytes = b"") -> bytes:
    """A frame from the environment (JSON header)."""
    return encode_raw(json.dumps(header, separators=(",", ":")).encode(), body)


def encode_raw(raw_header: bytes, body: bytes = b"") -> bytes:
    return _PREFIX.pack(len(raw_header), len(body)) + raw_header + body


def to_environment(header: Header, body: bytes = b"") -> bytes:
    """A frame from serverlite to an environment (marshalled header)."""
    return encode_raw(marshal.dumps(header), body)


class _FrameBuffer:
    """Bytes in, complete frames out."""

    def __init__(self, loads: Loads = json.loads) -> None:
        self._buffer = bytearray()
        self._loads = loads

    def feed(self, data: bytes) -> list[Frame]:
        buffer = self._buffer
        if not buffer and len(data) >= _PREFIX_SIZE:
            # The usual case, one whole frame per read: cut it from the bytes as they are.
            head_len, body_len = _PREFIX.unpack_from(data)
            head_end = _PREFIX_SIZE + head_len
            if head_end + body_len == len(data):
                return [(self._loads(data[_PREFIX_SIZE:head_end]), data[head_end:])]
        buffer += data
        frames: list[Frame] = []
        start = 0
        size = len(buffer)
        while size - start >= _PREFIX_SIZE:
            head_len, body_len = _PREFIX.unpack_from(buffer, start)
            end = start + _PREFIX_SIZE + head_len + body_len
            if end > size:
                break
            head_end = start + _PREFIX_SIZE + head_len
            header: Header = self._loads(bytes(buffer[start + _PREFIX_SIZE : head_end]))
            frames.append((header, bytes(buffer[head_end:end])))
            start = end
        if start:
            del buffer[:start]
        return frames


class BlockingChannel:
    """The environment's end: one frame at a time over a blocking socket."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._frames = _FrameBuffer(marshal.loads)
        self._ready: collections.deque[Frame] = collections.deque()

    def recv(self) -> Frame:
        while not self._ready:
            data = self._sock.recv(65536)
            if not data:
                raise EOFError("channel closed")
            self._ready.extend(self._frames.feed(data))
        return self._ready.popleft()

    def send(self, header: Header, body: bytes = b"") -> None:
        self._sock.sendall(encode(header, body))

    def send_raw(self, raw_header: bytes, body: bytes = b"") -> None:
        """Send a header already written as JSON (the runtime's per-invocation reply)."""
        self._sock.sendall(encode_raw(raw_header, body))


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
