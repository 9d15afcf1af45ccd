"""Test an application without sockets: the gateway's seam behind an httpx client.

    async with LocalApp("template.yaml") as app:
        client = app.client()                 # the only API, or app.client("MyApi")
        response = await client.get("/items/1")

Functions still run in real execution environments; only the HTTP server is
skipped, as httpx's ASGI transport skips it for ASGI apps. With ``aws_port`` (0: a
port from the OS) the AWS endpoint is served on loopback too, so the functions' boto3
calls, and a test's, reach the emulated services (``app.endpoint_url``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

import httpx

from serverlite import defaults
from serverlite.aws.dispatch.iam_check import Mode
from serverlite.cloud import CloudOptions, LocalCloud
from serverlite.connections import Connections, bind
from serverlite.errors import ConfigError
from serverlite.gateway.frontend import ApiEndpoint, serve_locally
from serverlite.gateway.gateway import Gateway
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.model import ThrottleSpec
from serverlite.gateway.throttling import ACCOUNT_LIMIT
from serverlite.server import EndpointServer, endpoint_server, start_endpoint
from serverlite.template import load_application
from serverlite.template.model import Application


class GatewayTransport(httpx.AsyncBaseTransport):
    """An httpx transport that hands requests straight to a ``Gateway``."""

    def __init__(self, gateway: Gateway, source_ip: str = "127.0.0.1") -> None:
        self.gateway = gateway
        self.source_ip = source_ip

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        raw_path = request.url.raw_path.decode("ascii")
        path, _, query = raw_path.partition("?")
        response = await self.gateway.handle(
            HttpRequest(
                method=request.method,
                path=path,
                query=query,
                headers=[
                    (k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw
                ],
                body=body,
                source_ip=self.source_ip,
            )
        )
        return httpx.Response(
            response.status, headers=response.headers, content=response.body, request=request
        )


class LocalApp:
    """An application running in this process (functions in their own environments)."""

    def __init__(
        self,
        template: str | Path,
        *,
        state_dir: Path | None = None,
        parameter_overrides: Mapping[str, str] | None = None,
        first_port: int = defaults.API_PORT,
        api_account_limit: ThrottleSpec = ACCOUNT_LIMIT,
        aws_port: int | None = None,
        clock: Callable[[], float] = time.time,
        iam: Mode = "warn",  # functions' calls to the endpoint: enforce, warn or off
    ) -> None:
        self._template = Path(template)
        self._iam = iam
        self._api_account_limit = api_account_limit
        self._state_dir = state_dir
        self._overrides = parameter_overrides
        self._first_port = first_port
        self._aws_port = aws_port
        self._clock = clock
        self._sockets: list[socket.socket] = []
        self._endpoint: EndpointServer | None = None
        self._serving: asyncio.Task[None] | None = None
        self.endpoint_url = defaults.AWS_ENDPOINT_URL
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.app: Application | None = None
        self.cloud: LocalCloud | None = None
        self.endpoints: list[ApiEndpoint] = []
        self.gateways: dict[str, Gateway] = {}

    async def __aenter__(self) -> LocalApp:
        if self._aws_port is not None:  # bound first: the functions are told its URL
            self._sockets = bind(defaults.HOST, self._aws_port)
            port = self._sockets[0].getsockname()[1]
            self.endpoint_url = f"http://{defaults.HOST}:{port}"
        app = load_application(
            self._template, parameter_overrides=self._overrides, endpoint_url=self.endpoint_url
        )
        self.app, self.endpoints = serve_locally(app, defaults.HOST, self._first_port)
        if self._state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="serverlite-test-")
            self._state_dir = Path(self._tmp.name)
        self.cloud = LocalCloud(
            self.app,
            CloudOptions(
                state_dir=self._state_dir,
                api_account_limit=self._api_account_limit,
                endpoint_url=self.endpoint_url,
                clock=self._clock,
                xray_port=0,  # tests take the X-Ray daemon's port from the OS
                iam=self._iam,
            ),
        )
        try:
            await self.cloud.start()
        except BaseException:  # a dependency that cannot install, ...: nothing stays open
            with contextlib.suppress(Exception):
                await self.cloud.stop()
            raise
        if self._sockets:
            await self._serve_endpoint(self.cloud)
        for endpoint in self.endpoints:
            self.gateways[endpoint.api.qualified_id] = self.cloud.gateway(endpoint)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._endpoint is not None and self._serving is not None:
            self._endpoint.should_exit = True
            await self._serving
        for sock in self._sockets:
            sock.close()
        if self.cloud is not None:
            await self.cloud.stop()
        if self._tmp is not None:
            self._tmp.cleanup()

    async def _serve_endpoint(self, cloud: LocalCloud) -> None:
        self._endpoint = endpoint_server(cloud, defaults.HOST, idle_timeout_s=60.0)
        self._serving = await start_endpoint(self._endpoint, Connections(), lambda: self._sockets)
        if not self._endpoint.started:
            await self._serving  # raises what stopped it
            raise ConfigError("the AWS endpoint did not start")

    def gateway(self, api: str | None = None) -> Gateway:
        if api is None:
            if len(self.gateways) != 1:
                raise ConfigError(
                    f"the app has {len(self.gateways)} APIs; name one of {sorted(self.gateways)}"
                )
            return next(iter(self.gateways.values()))
        try:
            return self.gateways[api]
        except KeyError:
            raise ConfigError(f"no API {api!r}; APIs: {sorted(self.gateways)}") from None

    def client(self, api: str | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=GatewayTransport(self.gateway(api)), base_url="http://testserver"
        )
