"""The Invoke API's client floor: a server that answers every request at once with what
serverlite answers the bench's function (the same status, headers and body), so the
bench's HTTP client and the loopback round trip are measured with nothing behind them.
Plain asyncio, no HTTP framework: the floor is, if anything, low, so what serverlite
adds over it is, if anything, overstated. It listens on a port from the OS (port 0);
the bench reads which from /proc.

    python bench/peers/invoke_stub.py
"""

from __future__ import annotations

import asyncio
import contextlib

BODY = b'{"ok": true, "echo": 1}'
ANSWER = (
    b"HTTP/1.1 200 OK\r\n"
    b"date: Mon, 07 Dec 2026 00:00:00 GMT\r\n"
    b"x-amzn-requestid: 00000000-0000-4000-8000-000000000000\r\n"
    b"x-amz-executed-version: $LATEST\r\n"
    b"content-length: %d\r\ncontent-type: application/json\r\n\r\n%s" % (len(BODY), BODY)
)


class Stub(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            length = 0
            for line in self.buffer[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(self.buffer) < end + 4 + length:
                return  # the body is still on its way
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(ANSWER)


async def main() -> None:
    server = await asyncio.get_running_loop().create_server(Stub, "127.0.0.1", 0)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
