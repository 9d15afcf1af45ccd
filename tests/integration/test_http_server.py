"""The gateway's HTTP server on a real loopback socket: limits while reading, deadlines,
the connection cap, backpressure and pipelining (each answered in order)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import uvloop

from serverlite.connections import SLICE, ConnectionLimits, Connections
from serverlite.gateway.http import HttpRequest, HttpResponse, RequestLimits
from serverlite.gateway.http_server import MAX_PENDING, HttpServer

pytestmark = pytest.mark.integration
FAST = ConnectionLimits(max_connections=64, read_timeout_s=0.6, idle_timeout_s=0.6, linger_s=0.5)


@dataclass
class Running:
    port: int
    handled: list[str] = field(default_factory=list)
    registry: Connections | None = None
    server: HttpServer | None = None

    def queued(self) -> int:
        assert self.server is not None
        return sum(c.queued for c in self.server.connections)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)


@contextmanager
def serving(
    limits: ConnectionLimits = FAST, body_size: int = 2, request_limits: RequestLimits | None = None
) -> Iterator[Running]:
    loop = uvloop.new_event_loop()
    running = Running(0)
    body = b"x" * body_size

    async def handler(request: HttpRequest) -> HttpResponse:
        running.handled.append(request.path)
        return HttpResponse(200, [("Content-Type", "text/plain"), ("X-Path", request.path)], body)

    async def start() -> HttpServer:
        running.registry = Connections(limits)
        server = HttpServer(
            handler, "127.0.0.1", 0, limits=request_limits, registry=running.registry
        )
        await server.start()
        running.port = server.port
        running.server = server
        return server

    server = loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        asyncio.run_coroutine_threadsafe(stop(server), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def stop(server: HttpServer) -> None:
    await server.stop(grace_s=1)
    for task in asyncio.all_tasks():
        if task is not asyncio.current_task():
            task.cancel()


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything until the server closes (fails if it does not within ``timeout``)."""
    sock.settimeout(timeout)
    chunks = []
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def statuses(data: bytes) -> list[tuple[int, str]]:
    """(status, X-Path) of each response in a stream."""
    found = []
    for head in data.split(b"HTTP/1.1 ")[1:]:
        status = int(head[:3])
        path = ""
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"x-path: "):
                path = line[8:].decode()
        found.append((status, path))
    return found


def get(path: str, extra: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode()


def test_pipelined_requests_are_answered_in_order_until_connection_close():
    with serving() as running, running.connect() as sock:
        sock.sendall(get("/a") + get("/b") + get("/c", "Connection: close\r\n") + get("/d"))
        answers = read_all(sock)
    assert statuses(answers) == [(200, "/a"), (200, "/b"), (200, "/c")]
    assert answers.count(b"Connection: close") == 1  # on the last answer only
    assert running.handled == ["/a", "/b", "/c"]  # nothing after the close is processed


def test_valid_valid_garbage_answers_both_then_400_and_closes():
    with serving() as running, running.connect() as sock:
        sock.sendall(get("/a") + get("/b") + b"\x00\x01 not http at all\r\n\r\n")
        answers = read_all(sock)
    assert statuses(answers) == [(200, "/a"), (200, "/b"), (400, "")]


def test_requests_sent_before_a_half_close_are_answered():
    with serving() as running, running.connect() as sock:
        sock.sendall(get("/a") + get("/b"))
        sock.shutdown(socket.SHUT_WR)
        answers = read_all(sock)
    assert statuses(answers) == [(200, "/a"), (200, "/b")]  # and then closed


def test_an_oversized_head_is_refused_while_it_arrives():
    with serving() as running, running.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nX-Big: ")
        # The answer comes once 64 KiB are in; the rest is read and dropped (for a
        # moment, then the connection is reset) so that the client sees the answer.
        with contextlib.suppress(OSError):
            for _ in range(1600):
                sock.sendall(b"a" * 65536)
        assert statuses(read_all(sock)) == [(431, "")]
    assert running.handled == []


def test_request_line_and_header_values_past_api_gateways_10240_bytes():
    with serving() as running:
        with running.connect() as sock:
            sock.sendall(get("/a", f"X-A: {'a' * 5000}\r\nX-B: {'b' * 5000}\r\n"))
            assert statuses(read_all(sock)) == [(200, "/a")]
        with running.connect() as sock:
            sock.sendall(get("/a", f"X-A: {'a' * 5000}\r\nX-B: {'b' * 5300}\r\n"))
            assert statuses(read_all(sock)) == [(431, "")]
        with running.connect() as sock:
            sock.sendall(get("/" + "u" * 10300))
            assert statuses(read_all(sock)) == [(414, "")]


def test_a_declared_oversize_body_is_refused_before_it_is_sent():
    with serving() as running, running.connect() as sock:
        sock.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
        assert statuses(read_all(sock)) == [(413, "")]
    assert running.handled == []


def test_a_chunked_body_is_refused_past_the_limit():
    limits = RequestLimits(max_body=100_000)
    with serving(request_limits=limits) as running, running.connect() as sock:
        sock.sendall(b"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (50_000, b"z" * 50_000)
        with contextlib.suppress(OSError):
            for _ in range(1000):
                sock.sendall(chunk)
        assert statuses(read_all(sock)) == [(413, "")]


def test_a_slow_head_gets_408_and_an_idle_connection_is_closed():
    with serving() as running, running.connect() as slow, running.connect() as idle:
        slow.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n")
        idle.sendall(get("/idle"))
        # read_all fails unless the server closes each: the deadlines are what close them
        assert statuses(read_all(slow)) == [(408, "")]
        assert statuses(read_all(idle)) == [(200, "/idle")]  # then closed when idle


def test_at_the_cap_the_longest_idle_connection_makes_room():
    limits = ConnectionLimits(max_connections=4, read_timeout_s=30, idle_timeout_s=30)
    with serving(limits) as running:
        idle = [running.connect() for _ in range(4)]
        time.sleep(0.2)
        with running.connect() as fresh:
            fresh.sendall(get("/fresh", "Connection: close\r\n"))
            assert statuses(read_all(fresh)) == [(200, "/fresh")]
        assert read_all(idle[0]) == b""  # the oldest was closed to make room
        assert running.registry is not None and len(running.registry) <= 4
        for sock in idle:
            sock.close()


@pytest.mark.slow
def test_a_pipelined_flood_that_is_never_read_stops_being_parsed():
    count = 50_000
    with serving(body_size=1024) as running, running.connect() as sock:
        flood = get("/f") * count
        sock.setblocking(False)
        sent = 0
        deadline = time.monotonic() + 3
        while sent < len(flood) and time.monotonic() < deadline:
            try:
                sent += sock.send(flood[sent : sent + 65536])
            except BlockingIOError:
                time.sleep(0.01)
        time.sleep(0.5)
        # Without backpressure every request would be parsed into memory, waiting.
        assert running.queued() <= MAX_PENDING + SLICE // len(get("/f")), running.queued()
        assert len(running.handled) < count // 2, len(running.handled)
        # Reading resumes it: every request is answered, in order.
        sock.setblocking(True)
        sock.settimeout(10)
        received = 0
        while received < count:
            if sent < len(flood):
                sock.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    sent += sock.send(flood[sent : sent + 65536])
                sock.setblocking(True)
                sock.settimeout(10)
            data = sock.recv(1 << 20)
            assert data
            received += data.count(b"HTTP/1.1 200 OK")
        assert received == count
