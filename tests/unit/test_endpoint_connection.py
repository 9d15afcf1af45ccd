"""The AWS endpoint's connection without sockets: a fake transport records what is sent."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from serverlite.aws.connection import HOLD_BYTES, Coalesced, EndpointConnection
from serverlite.connections import Connections


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.sent.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 4566)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def test_writes_of_one_step_leave_in_one_send() -> None:
    async def main() -> None:
        transport = Transport()
        out = Coalesced(transport, asyncio.get_running_loop())
        out.write(b"head\r\n\r\n")
        out.write(b"body")
        assert transport.sent == []  # held until the step ends
        await asyncio.sleep(0)
        assert transport.sent == [b"head\r\n\r\nbody"]
        out.write(b"x" * HOLD_BYTES)  # a large write goes at once
        assert transport.sent[-1] == b"x" * HOLD_BYTES
        out.write(b"last")
        out.close()  # what is held goes before the close
        assert (transport.sent[-1], transport.closed) == (b"last", True)

    asyncio.run(main())


def test_what_is_held_when_the_connection_is_lost_is_dropped() -> None:
    async def main() -> None:
        transport = Transport()
        out = Coalesced(transport, asyncio.get_running_loop())
        out.write(b"answer")
        transport.closed = True
        await asyncio.sleep(0)
        assert transport.sent == []

    asyncio.run(main())


async def app(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"{}"})


def test_a_response_is_sent_whole_in_one_write() -> None:
    """uvicorn writes a head and its body apart; the endpoint's connection sends them as
    one (two pipelined requests: two writes, one per answer, in order)."""

    async def main() -> None:
        config = uvicorn.Config(app, lifespan="off", log_level="warning")
        config.load()
        connection = EndpointConnection(config, ServerState(), {}, Connections())
        transport = Transport()
        connection.connection_made(transport)
        request = b"POST /a HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}"
        connection.data_received(request + request)
        for _ in range(10):
            await asyncio.sleep(0)
        assert len(transport.sent) == 2
        for answer in transport.sent:
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
            assert answer.endswith(b"\r\n\r\n{}")
        connection.connection_lost(None)

    asyncio.run(main())
