"""A small HTTP/1.1 server (asyncio + httptools) in front of a ``Gateway``.

Why not an ASGI server: ASGI lower-cases header names, and API Gateway hands REST
functions the header names as the client sent them (``event["headers"]["Content-Type"]``
works on AWS). httptools gives them to us as sent. Keep-alive, pipelined requests
(answered in order), chunked request bodies and ``Expect: 100-continue`` are handled;
a graceful stop finishes in-flight requests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import httptools

from serverlite.gateway.http import HttpRequest, HttpResponse
from serverlite.mailbox import Mailbox

log = logging.getLogger("serverlite.gateway")
Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]
MAX_REQUEST_BYTES = 11 * 1024 * 1024
LISTEN_BACKLOG = 1024  # pending connections the kernel queues (capped by net.core.somaxconn)
_FRAMING_HEADERS = ("content-length", "transfer-encoding", "connection")
_STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}" for s in HTTPStatus}


class _Connection(asyncio.Protocol):
    def __init__(self, handler: Handler, server: HttpServer) -> None:
        self._handler = handler
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._peer = "127.0.0.1"
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._size = 0
        # Requests parsed and not yet answered, in order (None: the connection closed).
        self._pending: Mailbox[HttpRequest | None] = Mailbox()
        self._worker: asyncio.Task[None] | None = None
        self._keep_alive = True
        self._continue = False
        self.busy = False

    # -- asyncio.Protocol --------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        peer = transport.get_extra_info("peername")
        if peer:
            self._peer = str(peer[0])
        self._worker = asyncio.create_task(self._work())
        self._server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(HTTPStatus.NOT_IMPLEMENTED)
        except httptools.HttpParserError:
            self._fail(HTTPStatus.BAD_REQUEST)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._pending.put(None)

    # -- httptools callbacks -----------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._body = []
        self._size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))
        if len(name) == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
            self._continue = True

    def on_headers_complete(self) -> None:
        if self._continue:
            self._continue = False
            assert self._transport is not None
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > MAX_REQUEST_BYTES:
            self._fail(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        url = httptools.parse_url(self._url)
        path = (url.path or b"/").decode("latin-1")
        query = (url.query or b"").decode("latin-1")
        self._keep_alive = self._parser.should_keep_alive()
        version = self._parser.get_http_version()
        method = self._parser.get_method().decode("ascii")
        self._pending.put(
            HttpRequest(
                method=method,
                path=path,
                query=query,
                headers=self._headers,
                body=b"".join(self._body),
                source_ip=self._peer,
                protocol=f"HTTP/{version}",
            )
        )

    # -- serving -----------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            request = await self._pending.get()
            if request is None or self._transport is None or self._transport.is_closing():
                return
            self.busy = True
            keep_alive = self._keep_alive and not self._server.stopping
            try:
                response = await self._handler(request)
            except Exception:
                log.exception("gateway error on %s %s", request.method, request.path)
                response = HttpResponse(
                    500,
                    [("Content-Type", "application/json")],
                    b'{"message":"Internal Server Error"}',
                )
            self._write(request, response, keep_alive)
            self.busy = False
            if not keep_alive:
                self._transport.close()
                return

    def _write(self, request: HttpRequest, response: HttpResponse, keep_alive: bool) -> None:
        assert self._transport is not None
        lines = [_STATUS_LINES.get(response.status) or f"HTTP/1.1 {response.status} "]
        lines.extend(
            f"{name}: {value}"
            for name, value in response.headers
            if name.lower() not in _FRAMING_HEADERS
        )
        if response.status not in (204, 304) and response.status >= 200:
            lines.append(f"Content-Length: {len(response.body)}")
        lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self._transport.write(head if request.method == "HEAD" else head + response.body)

    def _fail(self, status: HTTPStatus) -> None:
        if self._transport is not None and not self._transport.is_closing():
            body = f'{{"message":"{status.phrase}"}}'.encode()
            self._transport.write(
                f"HTTP/1.1 {status.value} {status.phrase}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            self._transport.close()

    def close_if_idle(self) -> None:
        if not self.busy and not self._pending and self._transport is not None:
            self._transport.close()


class HttpServer:
    """Serve one handler on host:port until ``stop``."""

    def __init__(self, handler: Handler, host: str, port: int) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.connections: set[_Connection] = set()
        self.stopping = False
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        # asyncio's default backlog (100) drops the SYNs of a burst beyond it, and each
        # dropped client waits a full second to retry: 1,000 clients at once, p99 1 s more.
        self._server = await loop.create_server(
            lambda: _Connection(self.handler, self),
            self.host,
            self.port,
            reuse_address=True,
            backlog=LISTEN_BACKLOG,
        )

    async def stop(self, grace_s: float = 30.0) -> None:
        """Stop accepting; let in-flight requests finish (up to ``grace_s``); close."""
        self.stopping = True
        if self._server is not None:
            self._server.close()
        deadline = asyncio.get_running_loop().time() + grace_s
        while any(c.busy for c in self.connections):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            connection.close_if_idle()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)
