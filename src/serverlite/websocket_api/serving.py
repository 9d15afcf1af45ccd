"""The WebSocket APIs' servers: per API a plain port and a TLS port, and the limits'
clock. ``serverlite up`` binds the ports first (``cli.py``) so URLs in the app name them."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from serverlite.connections import bind
from serverlite.invoker import Invoker
from serverlite.websocket_api.connections import MAX_MESSAGE_BYTES, Hub
from serverlite.websocket_api.model import WebSocketApiSpec

LIMITS_EVERY_S = 0.2


@dataclass(frozen=True)
class Bound:
    """An API's two listening ports: plain (ws://, http://) and TLS (wss://, https://)."""

    plain: list[socket.socket]
    tls: list[socket.socket]

    @staticmethod
    def new(host: str) -> Bound:
        return Bound(bind(host, 0), bind(host, 0))

    @property
    def plain_port(self) -> int:
        return int(self.plain[0].getsockname()[1])

    @property
    def tls_port(self) -> int:
        return int(self.tls[0].getsockname()[1])


def client_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host in ("::", "[::]"):
        return "[::1]"
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class WebSocketServers:
    def __init__(
        self,
        apis: list[WebSocketApiSpec],
        invoker: Invoker,
        host: str,
        clock: Callable[[], float],
        certificate: tuple[Path, Path],
        bound: Mapping[str, Bound] | None = None,
        time_scale: float = 1.0,
    ) -> None:
        self.apis = apis
        self.invoker = invoker
        self.host = host
        self.clock = clock
        self.certificate = certificate
        self.bound = {api.api_id: (bound or {}).get(api.api_id) or Bound.new(host) for api in apis}
        self.hubs = {api.api_id: Hub(clock, time_scale) for api in apis}
        self._servers: list[tuple[uvicorn.Server, asyncio.Task[None]]] = []
        self._limits: asyncio.Task[None] | None = None

    def urls(self, api: WebSocketApiSpec) -> tuple[str, str]:
        """(the ws:// URL clients connect to, the https:// one the Management API is at)."""
        bound = self.bound[api.api_id]
        host = client_host(self.host)
        stage = "" if api.stage == "$default" else f"/{api.stage}"
        return f"ws://{host}:{bound.plain_port}{stage}", f"https://{host}:{bound.tls_port}{stage}"

    async def start(self) -> None:
        if self.apis:  # the server (uvicorn's websockets protocol): only for templates with APIs
            from serverlite.websocket_api.server import FrameLimitedProtocol, WebSocketApp
        for api in self.apis:
            bound = self.bound[api.api_id]
            domain = f"{client_host(self.host)}:{bound.tls_port}"
            app = WebSocketApp(api, self.invoker, self.hubs[api.api_id], domain)
            cert, key = self.certificate
            for sockets, tls in ((bound.plain, False), (bound.tls, True)):
                config = uvicorn.Config(
                    app,
                    log_level="warning",
                    lifespan="off",
                    access_log=False,
                    server_header=False,
                    ws=FrameLimitedProtocol,
                    ws_max_size=MAX_MESSAGE_BYTES,
                    timeout_graceful_shutdown=5,
                    ssl_certfile=str(cert) if tls else None,
                    ssl_keyfile=str(key) if tls else None,
                )
                server = uvicorn.Server(config)
                task = asyncio.create_task(server.serve(sockets=sockets))
                self._servers.append((server, task))
        for server, task in self._servers:
            while not server.started and not task.done():
                await asyncio.sleep(0.01)
        self._limits = asyncio.create_task(self._enforce())

    async def _enforce(self) -> None:
        while True:
            await asyncio.sleep(LIMITS_EVERY_S)
            self.check_limits()

    def check_limits(self) -> None:
        for hub in self.hubs.values():
            hub.enforce_limits()

    async def stop(self) -> None:
        if self._limits is not None:
            self._limits.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._limits
        for hub in self.hubs.values():
            for connection in list(hub.live.values()):
                connection.close(1001, "Going away")
        for server, _ in self._servers:
            server.should_exit = True
        await asyncio.gather(*(task for _, task in self._servers))
        self._servers.clear()
