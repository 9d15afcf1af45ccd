"""The X-Ray daemon's UDP face: what the X-Ray SDK and Powertools Tracer send to.

Each datagram is a header line and one document:
``{"format": "json", "version": 1}\\n{segment or subsegment}`` (the daemon's protocol,
which the SDKs' UDP emitters write). Functions find it in ``AWS_XRAY_DAEMON_ADDRESS``
(``127.0.0.1:2000``, the daemon's usual port, when free; else a port from the OS).
A datagram that is not that is dropped and counted, as the daemon drops it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from typing import Any

from serverlite.observe.tracing import SegmentSink

DEFAULT_PORT = 2000
_HEADER = {"format": "json", "version": 1}
log = logging.getLogger("serverlite.observe")


def bind(host: str, port: int) -> socket.socket:
    """The daemon's socket: ``port``, or one from the OS when that is taken (or 0)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except OSError:
        if port == 0:
            sock.close()
            raise
        sock.bind((host, 0))
    sock.setblocking(False)
    return sock


def parse_datagram(data: bytes) -> dict[str, Any] | None:
    head, sep, body = data.partition(b"\n")
    if not sep:
        return None
    try:
        if json.loads(head) != _HEADER:
            return None
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("trace_id"), str):
        return None
    if not isinstance(doc.get("id"), str):
        return None
    return doc


class XrayDaemon(asyncio.DatagramProtocol):
    def __init__(self, sink: SegmentSink) -> None:
        self.sink = sink
        self.dropped = 0
        self._transport: asyncio.DatagramTransport | None = None

    def datagram_received(self, data: bytes, addr: Any) -> None:
        doc = parse_datagram(data)
        if doc is None:
            self.dropped += 1
            if self.dropped == 1:
                log.warning("X-Ray daemon: dropped a datagram that is not a segment document")
            return
        # The SDK streams an in-progress segment first and the closed one later; the
        # store keeps both and reading keeps the last (trace_assembly).
        self.sink.put(doc)

    async def start(self, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self, sock=sock)
        self._transport = transport

    def close(self) -> None:
        if self._transport is not None:
            with contextlib.suppress(Exception):
                self._transport.close()
            self._transport = None
