"""The floor under the gateway benchmark: a minimal HTTP server on uvloop that answers a
fixed response, either at once (``direct``) or after one round trip to one of 8 forked
worker processes over serverlite's environment channel (``hop``): what any design with
a process per execution environment pays, without serverlite's gateway or runtime.

    python hop_server.py PORT direct|hop
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys

import uvloop

from serverlite.functions import protocol

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n"
    b'{"hello":"world"}'
)
WORKERS = 8


def _fork_worker() -> socket.socket:
    ours, theirs = socket.socketpair()
    if os.fork() == 0:
        ours.close()
        channel = protocol.BlockingChannel(theirs)
        try:
            while True:
                channel.recv()
                channel.send({"type": "result", "ok": True}, b'{"statusCode":200,"body":"{}"}')
        except EOFError:
            os._exit(0)
    theirs.close()
    return ours


class _Connection(asyncio.Protocol):
    def __init__(self, idle: list[protocol.Channel] | None) -> None:
        self._idle = idle
        self._buffer = b""
        self._hops: set[asyncio.Future[None]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport: asyncio.Transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while b"\r\n\r\n" in self._buffer:
            _, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
            if self._idle is None:
                self._transport.write(RESPONSE)
            else:
                hop = asyncio.ensure_future(self._hop(self._idle))
                self._hops.add(hop)
                hop.add_done_callback(self._hops.discard)

    async def _hop(self, idle: list[protocol.Channel]) -> None:
        channel = idle.pop()
        channel.send({"type": "invoke", "request_id": "bench"}, b"{}" * 400)
        await channel.recv()
        idle.append(channel)
        self._transport.write(RESPONSE)


async def main(port: int, mode: str) -> None:
    idle = None
    if mode == "hop":
        idle = [await protocol.open_channel(_fork_worker()) for _ in range(WORKERS)]
    loop = asyncio.get_running_loop()
    await loop.create_server(lambda: _Connection(idle), "127.0.0.1", port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1]), sys.argv[2]))
