"""Every connection of the process: accepted under one cap, closed at its deadline.

Both servers (each API's gateway port and the AWS endpoint) accept through here, so
one budget covers them: file descriptors are per process, and a process out of them
cannot spawn an environment or open a database either (what 18,500 idle sockets did).

At the cap, each new connection closes the connection that has waited on its client
the longest (idle between requests, never sent anything, or still sending a request
head), as nginx reuses keep-alive connections when it runs out: idle sockets cannot
lock other clients out. When none is idle, new connections wait in the kernel's listen
backlog (not reset) until one closes. Either way one log line says the cap was reached.

Deadlines are swept twice a second rather than armed per request (a timer per request
costs every request; a sweep costs nothing until a deadline is near). What a passed
deadline means is the connection's own business (``Tracked.expire``): a request head or
body that does not arrive within ``read_timeout_s`` (slowloris), a keep-alive
connection idle for ``idle_timeout_s``, responses the client does not read.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import math
import resource
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger("serverlite")
SWEEP_S = 0.5
# Connections waiting at the cap queue here, not reset; and asyncio's default (100) drops
# the SYNs of a burst beyond it (each dropped client retries a full second later).
BACKLOG = 1024  # capped by net.core.somaxconn
LOG_EVERY_S = 60.0
MIN_IDLE_S = 0.1  # a connection idle for less is not closed to make room
# Input is parsed in slices of this size, so a connection can stop between two requests
# of one large read (backpressure) and a request head is measured within this much.
SLICE = 4096
_OUT_OF_FDS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def default_max_connections() -> int:
    """Half the process's file-descriptor limit (``ulimit -n``), at most 4096: the other
    half stays for environments' pipes, databases and logs."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(16, min(4096, soft // 2))


@dataclass(frozen=True)
class ConnectionLimits:
    max_connections: int = 0  # 0: default_max_connections()
    read_timeout_s: float = 10.0  # a request's head, and each gap in its body
    idle_timeout_s: float = 60.0  # between requests (as an ALB); unread responses
    linger_s: float = 2.0  # after a last answer, input is read and dropped this long

    @property
    def cap(self) -> int:
        return self.max_connections or default_max_connections()


class Tracked(Protocol):
    @property
    def deadline(self) -> float: ...  # loop time; math.inf: none

    def expire(self) -> None: ...  # the deadline passed

    def evict(self) -> None: ...  # closed to make room for a new connection


class Connections:
    """The open connections of every server in the process."""

    def __init__(self, limits: ConnectionLimits | None = None) -> None:
        self.limits = limits or ConnectionLimits()
        self.cap = self.limits.cap
        self._open: set[Tracked] = set()
        # Connections waiting on their client, longest-waiting first (dicts keep order),
        # with the time they began to wait.
        self._idle: dict[Tracked, float] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._sweeper: asyncio.Task[None] | None = None
        self._logged: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._open)

    # -- what connections report -----------------------------------------------------
    def opened(self, conn: Tracked) -> None:
        self._open.add(conn)
        self._idle[conn] = time.monotonic()
        if self._sweeper is None or self._sweeper.done():
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    def closed(self, conn: Tracked) -> None:
        self._open.discard(conn)
        self._idle.pop(conn, None)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    def idle(self, conn: Tracked) -> None:
        """``conn`` waits on its client: it may be closed to make room."""
        self._idle.pop(conn, None)
        if conn in self._open:
            self._idle[conn] = time.monotonic()

    def busy(self, conn: Tracked) -> None:
        """``conn`` has a request in hand: it is not closed to make room."""
        self._idle.pop(conn, None)

    # -- accepting -----------------------------------------------------------------------
    def listen(
        self,
        host: str,
        port: int,
        factory: Callable[[], asyncio.Protocol],
        sockets: list[socket.socket] | None = None,
    ) -> Listener:
        """Accept on ``sockets`` (bound and listening already) or on new ones for host:port."""
        return Listener(self, sockets or bind(host, port), factory)

    async def accept(self, sock: socket.socket, factory: Callable[[], asyncio.Protocol]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await self._make_room()
            try:
                conn, _ = await loop.sock_accept(sock)
            except OSError as exc:
                if exc.errno not in _OUT_OF_FDS:
                    raise
                # The process is out of descriptors before the cap (something else holds
                # them, or ulimit -n was lowered): the connection stays in the backlog
                # while the longest-idle connection gives its descriptor up, or, with
                # none idle long enough, until one closes (polled, not spun on).
                self._log_once(
                    "fds",
                    "serverlite: out of file descriptors (ulimit -n) before "
                    f"--max-connections ({self.cap}); idle connections are closed to make "
                    "room, else new connections wait",
                )
                self._evict_oldest()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._closing(), MIN_IDLE_S)
                continue
            try:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                await loop.connect_accepted_socket(factory, conn)
            except OSError:
                conn.close()

    async def _make_room(self) -> None:
        while len(self._open) >= self.cap:
            self._log_once(
                "cap",
                f"serverlite: {len(self._open)} connections open, the cap "
                "(--max-connections): each new connection closes the one idle longest; "
                "while none is idle, new connections wait",
            )
            if self._evict_oldest():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing(), MIN_IDLE_S)

    async def _closing(self) -> None:
        """Until a connection closes (its descriptor is released by then)."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        await waiter

    def _evict_oldest(self) -> bool:
        """Close the connection idle longest, if it has been idle a moment (one accepted
        a moment ago has likely not been read yet: its request is on its way)."""
        for oldest, since in self._idle.items():
            if time.monotonic() - since < MIN_IDLE_S:
                return False
            del self._idle[oldest]
            oldest.evict()
            return True
        return False

    def _log_once(self, key: str, message: str) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._logged.get(key, -math.inf) >= LOG_EVERY_S:
            self._logged[key] = now
            log.warning(message)

    # -- deadlines -----------------------------------------------------------------------
    async def _sweep(self) -> None:
        loop = asyncio.get_running_loop()
        while self._open:
            await asyncio.sleep(SWEEP_S)
            now = loop.time()
            for conn in [c for c in self._open if c.deadline <= now]:
                conn.expire()


class Listener:
    """Accepting on bound sockets until ``close``."""

    def __init__(
        self,
        connections: Connections,
        sockets: list[socket.socket],
        factory: Callable[[], asyncio.Protocol],
    ) -> None:
        self.sockets = sockets
        self._tasks = [asyncio.create_task(connections.accept(s, factory)) for s in sockets]

    @property
    def port(self) -> int:
        return int(self.sockets[0].getsockname()[1])

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        for sock in self.sockets:
            sock.close()


def bind(host: str, port: int) -> list[socket.socket]:
    """Listening sockets for every address ``host`` names (as ``loop.create_server``)."""
    # An ASCII name is given as bytes: for a str, getaddrinfo runs the IDNA codec, whose
    # import (stringprep, unicodedata) a start need not pay for loopback.
    name = host.encode() if host.isascii() else host
    infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    sockets: list[socket.socket] = []
    seen: set[object] = set()
    try:
        for family, kind, proto, _, address in infos:
            if address in seen:
                continue
            seen.add(address)
            if port == 0 and sockets:  # one port for every address: the one the OS chose
                at = (address[0], bound_port(sockets), *address[2:])
            else:
                at = address
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(at)
            sock.listen(BACKLOG)
            sock.setblocking(False)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def bound_port(sockets: list[socket.socket]) -> int:
    """The port ``bind`` listens on (the one the OS chose for port 0)."""
    return int(sockets[0].getsockname()[1])
