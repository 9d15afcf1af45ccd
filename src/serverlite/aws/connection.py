"""The AWS endpoint's HTTP connection: uvicorn's httptools protocol with serverlite's limits.

uvicorn bounds nothing at the connection level with httptools: a 100 MB header is
buffered whole (httptools joins an unfinished header piece by piece, in quadratic time:
~10 s of a frozen loop), a connection that never sends stays open for ever, a head may
arrive one byte a minute, and input that cannot be parsed is answered at once, ahead of
the answers still owed to the requests before it. This subclass adds, without changing
what uvicorn does with a request:

- a request head of at most 64 KiB (raw bytes: request line, names, values), and a
  ceiling on a body (``MAX_BODY``, above every emulated service's own request limit,
  which the services' dispatchers enforce with each service's own error), refused on
  ``Content-Length`` before the body is read; a body without a length (chunked) is
  refused with S3's 411 ``MissingContentLength``, as the SDKs never send one to these
  services and it would be buffered whole before any limit could apply;
- the deadlines and the connection cap of ``serverlite.connections`` (shared with
  every API port);
- a refusal (malformed input, a limit, a timeout) answered after the requests before it,
  then the connection closed gracefully;
- input parsed in slices, so a pipelined flood stops being parsed when uvicorn pauses
  reading (one request at a time, answers the client does not read);
- what a response writes in one step of the loop sent in one piece: uvicorn writes a
  response's head and its body apart, two sends and two TCP segments (TCP_NODELAY),
  so the client wakes for a head whose body is still on its way (``Coalesced``).

uvicorn's h11 protocol does bound headers (16 KiB) but costs several times the CPU per
request, and has no header-read timeout either.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from serverlite.connections import SLICE, Connections

MAX_HEAD_BYTES = 64 * 1024
# Writes held back for one step of the loop at most, and only while they add up to less
# than this: a large or streamed body reaches the socket (and uvicorn's flow control) at
# once.
HOLD_BYTES = 64 * 1024
# DynamoDB's BatchWriteItem (16 MB) is the largest request an emulated service takes.
MAX_BODY = 20 * 1024 * 1024
_REFUSALS = {
    "bad_request": (HTTPStatus.BAD_REQUEST, "BadRequestException", "Invalid HTTP request"),
    "head_too_large": (
        HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
        "RequestHeaderSectionTooLarge",
        f"The request line and headers exceed {MAX_HEAD_BYTES} bytes",
    ),
    "body_too_large": (
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        "RequestEntityTooLargeException",
        f"Request must be smaller than {MAX_BODY} bytes",
    ),
    "length_required": (
        HTTPStatus.LENGTH_REQUIRED,
        "MissingContentLength",
        "You must provide the Content-Length HTTP header.",
    ),
    "timeout": (
        HTTPStatus.REQUEST_TIMEOUT,
        "RequestTimeoutException",
        "The request did not arrive in time",
    ),
}


class _Stop(Exception):
    def __init__(self, reason: str) -> None:
        self.reason = reason


class _Flow(FlowControl):
    """uvicorn's flow control, feeding held-back input before reading resumes."""

    def __init__(self, transport: asyncio.Transport, on_resume: Callable[[], bool]) -> None:
        super().__init__(transport)
        self._on_resume = on_resume

    def resume_reading(self) -> None:
        if self.read_paused:
            self.read_paused = False
            if self._on_resume():
                self._transport.resume_reading()


class Coalesced:
    """The connection's transport as its responses write to it: writes made in one step
    of the loop leave in one send, at the latest when the step ends, when the response
    is complete, or when they pass ``HOLD_BYTES``; closing sends what is held first."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []
        self._size = 0
        self._flush_due = False

    def write(self, data: bytes) -> None:
        self._held.append(data)
        self._size += len(data)
        if self._size >= HOLD_BYTES:
            self.flush()
        elif not self._flush_due:
            self._flush_due = True
            self._loop.call_soon(self._step_ended)

    def flush(self) -> None:
        held = self._held
        if held:
            data = held[0] if len(held) == 1 else b"".join(held)
            held.clear()
            self._size = 0
            self._transport.write(data)

    def _step_ended(self) -> None:
        self._flush_due = False
        if self._transport.is_closing():  # the connection was lost meanwhile
            self._held.clear()
            self._size = 0
            return
        self.flush()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


class EndpointConnection(HttpToolsProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        connections: Connections,
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._conns = connections
        self._read_by = self.loop.time() + connections.limits.read_timeout_s
        self._send_by = math.inf
        self._in_message = False
        self._in_head = False
        self._head_bytes = 0
        self._body_bytes = 0
        self._stash: memoryview | None = None
        self._refused: str | None = None  # once set, nothing more is parsed
        self._lingering = False
        self._eof = False

    # -- asyncio.Protocol --------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow = _Flow(transport, self._feed_stash)
        self._out = Coalesced(transport, self.loop)
        self._conns.opened(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._conns.closed(self)
        self._stash = None
        super().connection_lost(exc)

    def eof_received(self) -> bool:  # type: ignore[override]  # asyncio reads the bool
        # A client may send its requests and then shut its side: answer them first
        # (uvicorn closes at once, and the answers still owed are lost).
        self._eof = True
        return bool(self.pipeline) or not self._answered()  # True: stay open to answer

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._refused is not None:
            return  # after a refusal: read and dropped until the connection closes
        if len(data) <= SLICE:
            self._feed(data)
        else:
            self._feed_slices(memoryview(data))

    def pause_writing(self) -> None:
        self._send_by = self.loop.time() + self._conns.limits.idle_timeout_s
        super().pause_writing()

    def resume_writing(self) -> None:
        self._send_by = math.inf
        super().resume_writing()

    # -- feeding the parser ------------------------------------------------------
    def _feed_slices(self, view: memoryview) -> None:
        for start in range(0, len(view), SLICE):
            if self._refused is not None or self.transport.is_closing():
                return
            if self.flow.read_paused:
                self._stash = view[start:]  # fed when uvicorn resumes reading
                return
            self._feed(view[start : start + SLICE])

    def _feed_stash(self) -> bool:
        stash, self._stash = self._stash, None
        if stash is not None and self._refused is None:
            self._feed_slices(stash)
        return not self.flow.read_paused and not self.transport.is_closing()

    def _feed(self, data: bytes | memoryview) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError as exc:
            stop = exc.__context__
            self._refuse(stop.reason if isinstance(stop, _Stop) else "bad_request")
            return
        if self._in_head:
            self._head_bytes += len(data)  # per slice: within one slice of the head's size
            if self._head_bytes > MAX_HEAD_BYTES:
                self._refuse("head_too_large")

    # -- httptools callbacks -----------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_message = self._in_head = True
        self._head_bytes = self._body_bytes = 0
        self._read_by = self.loop.time() + self._conns.limits.read_timeout_s

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._conns.busy(self)
        self._read_by = self.loop.time() + self._conns.limits.read_timeout_s
        for name, value in self.headers:
            if name == b"content-length":
                with contextlib.suppress(ValueError):
                    if int(value) > MAX_BODY:
                        raise _Stop("body_too_large")  # before a byte of the body is read
            elif name == b"transfer-encoding":
                # The SDKs send these services' bodies with a length; a chunked body
                # would be buffered whole (by the application) before any limit applied.
                raise _Stop("length_required")
        super().on_headers_complete()
        self.cycle.transport = self._out  # type: ignore[assignment]  # what it uses of one

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        if self._body_bytes > MAX_BODY:
            raise _Stop("body_too_large")
        self._read_by = self.loop.time() + self._conns.limits.read_timeout_s
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_message = False
        self._read_by = math.inf
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._out.flush()  # the whole answer in one send, before anything else is written
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if self._refused is not None:
            self._try_refusal()
        elif self._eof and not self.pipeline and self._answered():
            self.transport.close()  # the last answer owed to a half-closed client
        elif not self.pipeline and not self._in_message and self._answered():
            self._read_by = self.loop.time() + self._conns.limits.idle_timeout_s
            self._conns.idle(self)

    def _answered(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    # -- refusals ----------------------------------------------------------------
    def _refuse(self, reason: str) -> None:
        """Answer ``reason`` once every request before it is answered, then close."""
        self._refused = reason
        self._stash = None
        self._read_by = math.inf
        self._conns.busy(self)
        self.flow.pause_reading()
        self._try_refusal()

    def _try_refusal(self) -> None:
        if self.pipeline or self._lingering or self.transport.is_closing():
            return  # earlier requests are still owed their answers (or it is sent)
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            if cycle.response_started or not self._in_message or self._in_head:
                return  # an earlier request's answer comes first
            # The refused request is the one being answered, and its application waits
            # for the rest of the body: it gets a disconnect, the client the refusal.
            cycle.disconnected = True
            cycle.message_event.set()
        self._send_refusal()

    def _send_refusal(self) -> None:
        assert self._refused is not None
        self._out.flush()  # the answers before it go first
        status, code, message = _REFUSALS[self._refused]
        body = json.dumps({"__type": code, "message": message}).encode()
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\ncontent-type: application/json\r\n"
            f"x-amzn-errortype: {code}\r\nx-amzn-requestid: {uuid.uuid4()}\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        # Input still arriving is read and dropped for a moment: closing with unread
        # input resets the connection, which can destroy the answer before it is read.
        self._lingering = True
        self._read_by = self.loop.time() + self._conns.limits.linger_s
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.read_paused = False
        self.transport.resume_reading()

    # -- deadlines and eviction (serverlite.connections.Tracked) ----------------------
    @property
    def deadline(self) -> float:
        return min(self._read_by, self._send_by)

    def expire(self) -> None:
        if self.transport.is_closing():
            return
        if self._lingering or self._send_by <= self.loop.time():
            self.transport.abort()
        elif self._in_message and self._refused is None:
            self._refuse("timeout")  # a head, or a body stalled mid-way
        else:
            self.transport.close()  # idle keep-alive, or connected and never sent a byte

    def evict(self) -> None:
        self.transport.close()


def factory(server: uvicorn.Server, connections: Connections) -> Callable[[], asyncio.Protocol]:
    """Connections for ``server`` (started with ``serve(sockets=[])``: it accepts nothing
    itself; ``connections`` accepts for it)."""

    def make() -> asyncio.Protocol:
        return EndpointConnection(
            server.config, server.server_state, server.lifespan.state, connections
        )

    return make
