"""Frames exchanged between serverlite and an execution environment, and the
environment's end of the channel.

A frame is ``!II`` (header length, body length), a header, then raw body bytes, so
payloads travel without base64 or re-encoding. The environment side is blocking (it
runs one invocation at a time): ``BlockingChannel``. serverlite's side, an asyncio
protocol, is protocol.py: this module imports no asyncio, as it runs in every
environment (a world's first environment, forked before its zygote preloaded
anything, imports it itself, on its first request's path).

Headers are coded per direction. Towards the environment they are ``marshal``: the
environment is a fork of the same interpreter, and ``marshal.loads`` costs a fraction
of ``json.loads`` there (where a function's own orjson must not be shadowed by ours).
From the environment they are JSON: serverlite never unmarshals what a process
running a function's code sends, since marshal is not safe against malformed data.

They are written in marshal's format version 0, which marks no string as interned:
versions 1 and up do (a dict key written from a literal is), and loading such a string
looks it up in the process's table of interned strings, which in an environment forked
from a zygote that preloaded the SDK holds hundreds of thousands, out of cache between
invocations (measured: 14% of an environment's CPU on the gateway benchmark, the event's
keys). Version 0 loads them as plain strings; floats go as exact text (17 digits).
"""

from __future__ import annotations

import _socket  # not socket.py: see runtime.py
import collections
import json
import marshal
import struct
from collections.abc import Callable

TYPE_CHECKING = False  # not typing's: it would import typing in every environment
if TYPE_CHECKING:
    from typing import Any

# "Any" quoted: these are made at import (protocol.py hands them on) without typing.
Header = dict[str, "Any"]
Frame = tuple[Header, bytes]
Loads = Callable[[bytes], "Any"]

_PREFIX = struct.Struct("!II")
_PREFIX_SIZE = _PREFIX.size
_MARSHAL_VERSION = 0  # no string marked interned (see above)


def encode(header: Header, body: bytes = b"") -> bytes:
    """A frame from the environment (JSON header)."""
    return encode_raw(json.dumps(header, separators=(",", ":")).encode(), body)


def encode_raw(raw_header: bytes, body: bytes = b"") -> bytes:
    return _PREFIX.pack(len(raw_header), len(body)) + raw_header + body


def to_environment(header: Header, body: bytes = b"") -> bytes:
    """A frame from serverlite to an environment (marshalled header, format version 0)."""
    return encode_raw(marshal.dumps(header, _MARSHAL_VERSION), body)


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

    def __init__(self, sock: _socket.socket) -> None:
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
