"""A small HTTP/1.1 server (asyncio + httptools) in front of a ``Gateway``.

Why not an ASGI server: ASGI lower-cases header names, and API Gateway hands REST
functions the header names as the client sent them (``event["headers"]["Content-Type"]``
works on AWS). httptools gives them to us as sent. Keep-alive, pipelined requests,
chunked request bodies and ``Expect: 100-continue`` are handled; a graceful stop
finishes in-flight requests.

Hostile clients are normal clients here (every port shares one event loop):

- Limits are enforced while reading, never after buffering: API Gateway's 10,240 bytes
  of request line and header values, its 10 MB payload (refused on ``Content-Length``
  before the body is read), and a hard 64 KiB on a head's raw bytes (httptools buffers
  an unfinished header in memory, and never limits it).
- Pipelined requests are answered in order, each before the next is handled; a request
  that says ``Connection: close``, or input that cannot be parsed, ends the connection
  after everything before it is answered. Parsing stops while 16 requests wait or the
  client is not reading its responses, so a flood that is never read costs a bounded
  amount of memory.
- Deadlines (``serverlite.connections``) end slow heads and bodies (408), idle
  keep-alive connections, and connections whose answers are not read.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
from collections.abc import Awaitable, Callable
from http import HTTPStatus

import httptools

from serverlite.connections import SLICE, Connections, Listener
from serverlite.gateway.http import HttpRequest, HttpResponse, Refusal, RequestLimits
from serverlite.mailbox import Mailbox

log = logging.getLogger("serverlite.gateway")
Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]
Refuse = Callable[[Refusal], HttpResponse]
MAX_PENDING = 16  # parsed requests waiting for their answer before parsing pauses
_FRAMING_HEADERS = frozenset(("content-length", "transfer-encoding", "connection"))
_KEEP_ALIVE = "Connection: keep-alive\r\n\r\n"
_CLOSE = "Connection: close\r\n\r\n"
_PROTOCOLS = {"1.1": "HTTP/1.1", "1.0": "HTTP/1.0"}
_STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}" for s in HTTPStatus}
_REFUSAL_STATUS: dict[Refusal, HTTPStatus] = {
    "bad_request": HTTPStatus.BAD_REQUEST,
    "uri_too_long": HTTPStatus.REQUEST_URI_TOO_LONG,
    "head_too_large": HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
    "body_too_large": HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    "timeout": HTTPStatus.REQUEST_TIMEOUT,
}


def plain_refusal(reason: Refusal) -> HttpResponse:
    status = _REFUSAL_STATUS[reason]
    body = f'{{"message":"{status.phrase}"}}'.encode()
    return HttpResponse(status.value, [("Content-Type", "application/json")], body)


class _Stop(Exception):
    """Raised in a parser callback: the request is refused (httptools stops parsing)."""

    def __init__(self, reason: Refusal) -> None:
        self.reason: Refusal = reason


Pending = tuple[HttpRequest, bool] | Refusal | None  # (request, keep-alive); None: lost


class _Connection(asyncio.Protocol):
    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._limits = server.limits
        self._conns = server.registry
        self._loop = asyncio.get_running_loop()
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._peer = "127.0.0.1"
        # The request being read.
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._size = 0
        self._values = 0
        self._declared = b""  # Content-Length as sent
        self._in_message = False
        self._in_head = False
        self._head_bytes = 0
        self._continue = False
        # Requests parsed and not yet answered, in order.
        self._pending: Mailbox[Pending] = Mailbox()
        self._worker: asyncio.Task[None] | None = None
        self._reading = True  # False once nothing more will be parsed
        self._stash: memoryview | None = None  # input held back while parsing is paused
        self._read_paused = False
        self._drained: asyncio.Future[None] | None = None  # set while the client reads nothing
        self._lingering = False
        self._eof = False
        self._read_by = self._loop.time() + server.registry.limits.read_timeout_s
        self._send_by = math.inf
        self.busy = False

    # -- asyncio.Protocol --------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's is no subclass
        peer = transport.get_extra_info("peername")
        if peer:
            self._peer = str(peer[0])
        self._worker = self._loop.create_task(self._work())
        self._server.connections.add(self)
        self._conns.opened(self)

    def data_received(self, data: bytes) -> None:
        if not self._reading:
            return  # after the last request: read and dropped (see _close_after_answer)
        if len(data) <= SLICE:
            self._feed(data)
            if self._must_pause():
                self._pause_reading()
        else:
            self._feed_slices(memoryview(data))

    def eof_received(self) -> bool:
        # A client may send its requests and then shut its side: answer them first.
        self._reading = False
        self._eof = True
        return bool(self.busy or self._pending)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        self._conns.closed(self)
        self._reading = False
        self._stash = None
        self._pending.put(None)
        self._wake_writer()

    def pause_writing(self) -> None:
        self._drained = self._loop.create_future()
        self._send_by = self._loop.time() + self._conns.limits.idle_timeout_s

    def resume_writing(self) -> None:
        self._send_by = math.inf
        self._wake_writer()

    # -- feeding the parser ------------------------------------------------------
    def _feed_slices(self, view: memoryview) -> None:
        for start in range(0, len(view), SLICE):
            if not self._reading:
                return
            if self._must_pause():
                self._stash = view[start:]
                self._pause_reading()
                return
            self._feed(view[start : start + SLICE])
        if self._must_pause():
            self._pause_reading()

    def _feed(self, data: bytes | memoryview) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._reading = False  # the upgraded request is answered, then the connection ends
        except httptools.HttpParserError as exc:
            stop = exc.__context__
            if self._reading:
                self._refuse(stop.reason if isinstance(stop, _Stop) else "bad_request")
            return
        if self._in_head:
            # Counted per slice fed, so at most one slice more than the head itself.
            self._head_bytes += len(data)
            if self._head_bytes > self._limits.max_head_bytes:
                self._refuse("head_too_large")

    def _must_pause(self) -> bool:
        return len(self._pending) >= MAX_PENDING or self._drained is not None

    def _pause_reading(self) -> None:
        if not self._read_paused and self._transport is not None:
            self._read_paused = True
            self._transport.pause_reading()

    def _resume_reading(self) -> None:
        if not self._read_paused or self._must_pause() or self._transport is None:
            return
        self._read_paused = False
        stash, self._stash = self._stash, None
        if stash is not None and self._reading:
            self._feed_slices(stash)
        if not self._read_paused and not self._transport.is_closing():
            self._transport.resume_reading()

    def _refuse(self, reason: Refusal) -> None:
        self._reading = False
        self._stash = None
        self._conns.busy(self)
        self._pending.put(reason)

    # -- httptools callbacks -----------------------------------------------------
    def on_message_begin(self) -> None:
        self._url = b""
        self._headers = []
        self._body = []
        self._size = 0
        self._values = 0
        self._declared = b""
        self._in_message = self._in_head = True
        self._head_bytes = 0
        self._read_by = self._loop.time() + self._conns.limits.read_timeout_s

    def on_url(self, url: bytes) -> None:
        self._url += url
        if len(self._url) > self._limits.max_url:
            raise _Stop("uri_too_long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._values += len(value)
        if self._values + len(self._url) > self._limits.max_head:
            raise _Stop("head_too_large")
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))
        if len(name) == 14 and name.lower() == b"content-length":
            self._declared = value
        elif len(name) == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
            self._continue = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._conns.busy(self)
        self._read_by = self._loop.time() + self._conns.limits.read_timeout_s
        line = len(self._parser.get_method()) + len(self._url) + len(" HTTP/1.1\r\n") + 1
        if self._values + line > self._limits.max_head:
            raise _Stop("head_too_large")
        if (
            self._declared
            and self._declared.isdigit()
            and int(self._declared) > self._limits.max_body
        ):
            raise _Stop("body_too_large")  # refused before a byte of the body is read
        if self._continue:
            self._continue = False
            # Only when nothing is being answered: a 100 between two pipelined answers
            # would corrupt the stream (the client then simply sends its body).
            if not self.busy and not self._pending and self._transport is not None:
                self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self._size += len(body)
        if self._size > self._limits.max_body:
            raise _Stop("body_too_large")
        self._body.append(body)
        self._read_by = self._loop.time() + self._conns.limits.read_timeout_s

    def on_message_complete(self) -> None:
        self._in_message = False
        self._read_by = math.inf
        url = httptools.parse_url(self._url)
        keep_alive = self._parser.should_keep_alive()
        version = self._parser.get_http_version()
        if not keep_alive:
            self._reading = False  # RFC 9112 9.6: nothing after a "close" is processed
        self._pending.put(
            (
                HttpRequest(
                    method=self._parser.get_method().decode("ascii"),
                    path=(url.path or b"/").decode("latin-1"),
                    query=(url.query or b"").decode("latin-1"),
                    headers=self._headers,
                    body=b"".join(self._body),
                    source_ip=self._peer,
                    protocol=_PROTOCOLS.get(version) or f"HTTP/{version}",
                ),
                keep_alive,
            )
        )

    # -- serving -----------------------------------------------------------------
    async def _work(self) -> None:
        while True:
            item = await self._pending.get()
            transport = self._transport
            if item is None or transport is None or transport.is_closing():
                return
            if isinstance(item, str):
                self._write("GET", self._server.refuse(item), keep_alive=False)
                self._close_after_answer()
                return
            request, keep_alive = item
            self.busy = True
            try:
                response = await self._server.handler(request)
            except Exception:
                log.exception("gateway error on %s %s", request.method, request.path)
                response = HttpResponse(
                    500,
                    [("Content-Type", "application/json")],
                    b'{"message":"Internal Server Error"}',
                )
            # The last answer closes when the client said so, when input ended (EOF,
            # upgrade) with nothing more to answer, or when serverlite stops.
            last = not self._reading and not self._pending
            keep_alive = keep_alive and not last and not self._server.stopping
            self._write(request.method, response, keep_alive)
            self.busy = False
            if not keep_alive:
                self._close_after_answer()
                return
            if self._drained is not None and not await self._writable():
                return
            self._resume_reading()
            if self._pending:
                # A pipelined burst whose answers need no I/O (a 404, a throttle) would
                # otherwise be answered in one go, holding the loop from every other client.
                await asyncio.sleep(0)
            elif not self._in_message:
                self._read_by = self._loop.time() + self._conns.limits.idle_timeout_s
                self._conns.idle(self)

    async def _writable(self) -> bool:
        """Wait until the client reads (False: the connection was lost meanwhile)."""
        while self._drained is not None:
            await self._drained
        return self._transport is not None and not self._transport.is_closing()

    def _wake_writer(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _write(self, method: str, response: HttpResponse, keep_alive: bool) -> None:
        """The whole answer in one write (one send on the socket)."""
        assert self._transport is not None
        status, body = response.status, response.body
        framing = _FRAMING_HEADERS
        fields = "".join([f"{k}: {v}\r\n" for k, v in response.headers if k.lower() not in framing])
        length = (
            f"Content-Length: {len(body)}\r\n" if status >= 200 and status not in (204, 304) else ""
        )
        connection = _KEEP_ALIVE if keep_alive else _CLOSE
        head = (
            f"{_STATUS_LINES.get(status) or f'HTTP/1.1 {status} '}\r\n{fields}{length}{connection}"
        )
        data = head.encode("latin-1", "replace")
        self._transport.write(data if method == "HEAD" else data + body)

    def _close_after_answer(self) -> None:
        """End the connection once the last answer is sent. Input still arriving is read
        and dropped for a moment (closing with unread input makes the kernel send a
        reset, which can destroy the answer before the client reads it)."""
        transport = self._transport
        assert transport is not None
        self._reading = False
        self._lingering = True
        self._conns.busy(self)
        self._read_by = self._loop.time() + self._conns.limits.linger_s
        if self._eof:
            transport.close()  # the client already finished sending
        elif transport.can_write_eof():
            transport.write_eof()
        if self._read_paused:
            self._read_paused = False
            transport.resume_reading()

    # -- deadlines and eviction (serverlite.connections.Tracked) ----------------------
    @property
    def deadline(self) -> float:
        return min(self._read_by, self._send_by)

    def expire(self) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        if self._lingering or self._send_by <= self._loop.time():
            transport.abort()  # the client reads nothing: drop what it left unread
        elif self._in_message and self._reading:
            self._read_by = math.inf
            self._refuse("timeout")  # answered after anything already queued
        else:
            transport.close()  # idle keep-alive, or connected and never sent a byte

    def evict(self) -> None:
        if self._transport is not None:
            self._transport.close()

    @property
    def queued(self) -> int:
        """Requests parsed and not yet answered."""
        return len(self._pending)

    def close_if_idle(self) -> None:
        if not self.busy and not self._pending and self._transport is not None:
            self._transport.close()


class HttpServer:
    """Serve one handler on host:port until ``stop``."""

    def __init__(
        self,
        handler: Handler,
        host: str,
        port: int,
        *,
        limits: RequestLimits | None = None,
        refuse: Refuse = plain_refusal,
        registry: Connections | None = None,
        sockets: list[socket.socket] | None = None,
    ) -> None:
        self.handler = handler
        self._sockets = sockets  # bound and listening already (``up`` binds every port first)
        self.host = host
        self.port = port
        self.limits = limits or RequestLimits()
        self.refuse = refuse
        self.registry = registry if registry is not None else Connections()
        self.connections: set[_Connection] = set()
        self.stopping = False
        self._listener: Listener | None = None

    async def start(self) -> None:
        self._listener = self.registry.listen(
            self.host, self.port, lambda: _Connection(self), self._sockets
        )
        self.port = self._listener.port

    async def stop(self, grace_s: float = 30.0) -> None:
        """Stop accepting; let in-flight requests finish (up to ``grace_s``); close."""
        self.stopping = True
        if self._listener is not None:
            await self._listener.close()
        deadline = asyncio.get_running_loop().time() + grace_s
        while any(c.busy for c in self.connections):
            if asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            connection.close_if_idle()
