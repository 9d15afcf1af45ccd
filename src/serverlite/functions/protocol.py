"""Frames exchanged between serverlite and an execution environment.

A frame is ``!II`` (header length, body length), a JSON header, then raw body bytes,
so payloads travel without base64 or re-encoding. The environment side is blocking
(it runs one invocation at a time); the serverlite side is asyncio.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from typing import Any

_PREFIX = struct.Struct("!II")
Header = dict[str, Any]


def encode(header: Header, body: bytes = b"") -> bytes:
    raw = json.dumps(header, separators=(",", ":")).encode()
    return _PREFIX.pack(len(raw), len(body)) + raw + body


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("channel closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def recv_blocking(sock: socket.socket) -> tuple[Header, bytes]:
    head_len, body_len = _PREFIX.unpack(_recv_exact(sock, _PREFIX.size))
    header: Header = json.loads(_recv_exact(sock, head_len))
    return header, _recv_exact(sock, body_len) if body_len else b""


def send_blocking(sock: socket.socket, header: Header, body: bytes = b"") -> None:
    sock.sendall(encode(header, body))


async def recv_async(reader: asyncio.StreamReader) -> tuple[Header, bytes]:
    try:
        head_len, body_len = _PREFIX.unpack(await reader.readexactly(_PREFIX.size))
        header: Header = json.loads(await reader.readexactly(head_len))
        body = await reader.readexactly(body_len) if body_len else b""
    except asyncio.IncompleteReadError as exc:
        raise EOFError("channel closed") from exc
    return header, body
