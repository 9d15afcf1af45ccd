"""Test an application without sockets: the gateway's seam behind an httpx client.

    async with LocalApp("template.yaml") as app:
        client = app.client()                 # the only API, or app.client("MyApi")
        response = await client.get("/items/1")

Functions still run in real execution environments; only the HTTP server is
skipped, as httpx's ASGI transport skips it for ASGI apps. With ``aws_port`` (0: a
port from the OS) the AWS endpoint is served on loopback too, so the functions' boto3
calls, and a test's, reach the emulated services (``app.endpoint_url``). With
``serve=True`` every API, function URL and WebSocket API is served on a loopback port
from the OS as ``serverlite up`` serves it, and the app's URLs name those ports, so a
function that calls an API, a URL or ``@connections`` by its URL reaches it
(``app.api_url()``, ``app.function_url("Fn")``, ``app.websocket_url("Api")``).
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
from serverlite.function_urls.frontend import localize as localize_urls
from serverlite.function_urls.model import template_urls
from serverlite.function_urls.server import UrlServers
from serverlite.gateway.frontend import ApiEndpoint, serve_locally, served_apis
from serverlite.gateway.gateway import LIMITS, Gateway
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.http_server import HttpServer
from serverlite.gateway.model import ThrottleSpec
from serverlite.gateway.throttling import ACCOUNT_LIMIT
from serverlite.server import (
    EndpointServer,
    ServeOptions,
    endpoint_server,
    start_endpoint,
    start_lambda_faces,
)
from serverlite.template import load_application
from serverlite.template.env_vars import EnvVars
from serverlite.template.model import Application
from serverlite.websocket_api.frontend import localize as localize_websockets
from serverlite.websocket_api.model import discover as discover_websockets
from serverlite.websocket_api.serving import Bound, WebSocketServers, client_host


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
        serve: bool = False,  # APIs, function URLs and WebSocket APIs on OS ports too
        env_vars: EnvVars | None = None,  # functions' variables overridden (sam's --env-vars)
    ) -> None:
        self._env_vars = env_vars
        self._serve = serve
        self._faces: _Faces | None = None
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
            self._template,
            parameter_overrides=self._overrides,
            endpoint_url=self.endpoint_url,
            env_vars=self._env_vars,
        )
        if self._serve:  # every port bound now, from the OS: the app's URLs name them
            self._faces = _Faces.bind(app)
            app, self.endpoints = self._faces.localize(app)
            self.app = app
        else:
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
        if self._faces is not None:
            await self._faces.start(self.cloud, self.gateways)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._faces is not None:
            await self._faces.stop()
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

    def api_url(self, api: str | None = None) -> str:
        """The stage URL an API is served at (``serve=True``): what its clients call."""
        self.gateway(api)  # the only one, or a known name
        for endpoint in self.endpoints:
            if api is None or endpoint.api.qualified_id == api:
                return endpoint.stage_url
        raise ConfigError(f"no API {api!r}")

    def function_url(self, function: str) -> str:
        """A function URL as served (``serve=True``): ``http://127.0.0.1:PORT/``."""
        faces = self._served()
        assert self.cloud is not None
        for config in self.cloud.function_urls.all():
            if function in (config.function, config.logical_id):
                url = faces.urls.local_url(config.url_id) if faces.urls else None
                if url:
                    return url
        raise ConfigError(f"no function URL served for {function!r}")

    def websocket_url(self, api: str | None = None) -> str:
        """A WebSocket API's ``ws://`` URL as served (``serve=True``)."""
        faces = self._served()
        found = [
            spec
            for spec in (faces.websockets.apis if faces.websockets else [])
            if api is None or api in (spec.qualified_id, spec.api_id)
        ]
        if len(found) != 1 or faces.websockets is None:
            raise ConfigError(f"no single WebSocket API {api or ''!r} served")
        return faces.websockets.urls(found[0])[0]

    def _served(self) -> _Faces:
        if self._faces is None:
            raise ConfigError("the app's ports are not served (LocalApp(serve=True))")
        return self._faces


class _Faces:
    """What ``serve=True`` serves beside the AWS endpoint, on loopback ports from the OS:
    the APIs, function URLs and WebSocket APIs (bound before the app's URLs are made)."""

    def __init__(self, api_sockets: list[list[socket.socket]]) -> None:
        self.api_sockets = api_sockets
        self.url_sockets: dict[str, list[socket.socket]] = {}
        self.websocket_sockets: dict[str, Bound] = {}
        self.gateways: list[HttpServer] = []
        self.urls: UrlServers | None = None
        self.websockets: WebSocketServers | None = None

    @staticmethod
    def bind(app: Application) -> _Faces:
        return _Faces([bind(defaults.HOST, 0) for _ in served_apis(app)])

    def localize(self, app: Application) -> tuple[Application, list[ApiEndpoint]]:
        ports = [int(sockets[0].getsockname()[1]) for sockets in self.api_sockets]
        app, endpoints = serve_locally(app, defaults.HOST, ports)
        host = client_host(defaults.HOST)
        urls = {}
        for url in template_urls(app):
            self.url_sockets[url.url_id] = bind(defaults.HOST, 0)
            port = self.url_sockets[url.url_id][0].getsockname()[1]
            urls[url.url_id] = f"http://{host}:{port}/"
        app = localize_urls(app, urls)
        sockets = {}
        for spec in discover_websockets(app):
            pair = self.websocket_sockets[spec.api_id] = Bound.new(defaults.HOST)
            sockets[spec.api_id] = (
                f"ws://{host}:{pair.plain_port}",
                f"https://{host}:{pair.tls_port}",
            )
        return localize_websockets(app, sockets), endpoints

    async def start(self, cloud: LocalCloud, gateways: Mapping[str, Gateway]) -> None:
        connections = Connections()  # one budget for every port, as `up` has
        for gateway, sockets in zip(gateways.values(), self.api_sockets, strict=True):
            server = HttpServer(
                gateway.handle,
                defaults.HOST,
                int(sockets[0].getsockname()[1]),
                limits=LIMITS,
                refuse=gateway.refuse,
                registry=connections,
                sockets=sockets,
            )
            await server.start()
            self.gateways.append(server)
        options = ServeOptions(
            url_sockets=self.url_sockets, websocket_sockets=self.websocket_sockets
        )
        self.urls, self.websockets = await start_lambda_faces(cloud, options)

    async def stop(self) -> None:
        if self.websockets is not None:
            await self.websockets.stop()
        if self.urls is not None:
            await self.urls.stop()
        await asyncio.gather(*(gateway.stop() for gateway in self.gateways))
        for sockets in (
            *self.api_sockets,
            *self.url_sockets.values(),
            *(b.plain for b in self.websocket_sockets.values()),
            *(b.tls for b in self.websocket_sockets.values()),
        ):
            for sock in sockets:
                sock.close()
