"""``serverlite up``: serve an application until Ctrl-C.

Starts the local cloud, the AWS endpoint (uvicorn on loopback), hot reload, and
prints what is running. Ctrl-C stops accepting connections, lets in-flight
requests finish, then stops environments and flushes the stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import shlex
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import uvicorn

from serverlite import defaults, summary
from serverlite.aws import connection as endpoint_connection
from serverlite.aws import registry
from serverlite.aws.dispatch.admission import allowed_hosts
from serverlite.cloud import LocalCloud
from serverlite.connections import ConnectionLimits, Connections, Listener, bind
from serverlite.console import PREFIX as CONSOLE_PREFIX
from serverlite.function_urls.server import UrlServers
from serverlite.functions import reload
from serverlite.functions.environment import startup_warnings
from serverlite.gateway import authorizers, integrations
from serverlite.gateway.frontend import ApiEndpoint
from serverlite.gateway.gateway import LIMITS, Gateway
from serverlite.gateway.http_server import HttpServer
from serverlite.gateway.model import RouteSpec
from serverlite.template.coverage import not_emulated
from serverlite.template.model import Application
from serverlite.websocket_api.model import warnings as websocket_warnings
from serverlite.websocket_api.serving import Bound, WebSocketServers

if TYPE_CHECKING:
    from rich.console import Console

log = logging.getLogger("serverlite")

# How long start-up may wait for the functions' worlds before a spinner says so (an
# install takes seconds to minutes; a warm cache, a fraction of a second: no spinner).
SPINNER_AFTER_S = 0.5


@dataclass(frozen=True)
class ServeOptions:
    host: str = defaults.HOST
    aws_port: int = defaults.AWS_PORT
    endpoints: tuple[ApiEndpoint, ...] = ()
    warm: bool = False
    reload: bool = True
    allow_hosts: tuple[str, ...] = ()  # Host names the AWS endpoint answers to beyond loopback
    connection_limits: ConnectionLimits = field(default_factory=ConnectionLimits)
    # Listening sockets by port, bound before the app was loaded (port 0 resolved);
    # a port not here is bound when served.
    sockets: Mapping[int, list[socket.socket]] = field(default_factory=dict)
    # When the command started (time.perf_counter()): "up in" counts from there, imports
    # and the template included; None: from serve() on.
    started: float | None = None
    # WebSocket APIs' listening sockets (plain and TLS) by API id; others get OS ports.
    websocket_sockets: Mapping[str, Bound] = field(default_factory=dict)
    # Function URLs' listening sockets by URL id (the others get a port from the OS),
    # and who records where they are served (urls.json), at start and on every change.
    url_sockets: Mapping[str, list[socket.socket]] = field(default_factory=dict)
    # (function URLs by function, WebSocket APIs' ws:// URLs by API) -> urls.json
    write_urls: Callable[[Mapping[str, str], Mapping[str, str]], None] | None = None
    # Called once the start is over (summary printed, heap settled): the CLI saves the
    # dataclass methods it compiled (serverlite.dataclass_code).
    settled: Callable[[], None] | None = None


def settle_heap() -> None:
    """Move everything startup made (modules, service models, the app: some 60,000
    objects for a small template) out of the collector's sight, so a full collection
    under load no longer walks them all, stalling every request in flight. What
    resume_collector froze is looked at once more: start-up's own garbage goes."""
    if _resumed_frozen:
        _resumed_frozen.clear()
        gc.unfreeze()
    gc.collect()
    gc.freeze()


_resumed_frozen: list[bool] = []  # resume_collector froze the start's objects


def resume_collector() -> None:
    """The collector back on once the ports serve, if ``up`` paused it for its start
    (cli.py): the start's imports and objects (some 100,000, nearly none garbage) were
    walked by some 50 collections before the port opened (each object in two of them).
    What it made so far is frozen (no pass walks it; settle_heap collects it once), so
    the first requests' collections look at their own objects only."""
    if not gc.isenabled():
        gc.freeze()
        _resumed_frozen.append(True)
        gc.enable()


def startup_table(app: Application) -> summary.Item:
    rows = []
    for fn in app.functions:
        events = ", ".join(sorted({event.type for event in fn.events})) or "-"
        rows.append(
            (fn.name, fn.handler, fn.runtime, f"{fn.memory_mb} MB", f"{fn.timeout_s} s", events)
        )
    return summary.table(
        "Functions", ("name", "handler", "runtime", "memory", "timeout", "events"), rows
    )


def apis_table(endpoints: tuple[ApiEndpoint, ...]) -> summary.Item:
    rows = []
    for endpoint in endpoints:
        api = endpoint.api
        for route in sorted(api.routes, key=lambda r: (r.path, r.method)):
            path = "" if route.path == "$default" else route.path
            rows.append(
                (
                    api.qualified_id,
                    api.kind,
                    route.route_key,
                    route.function or _integration_label(route),
                    f"{endpoint.base_url}{path}",
                )
            )
    return summary.table("APIs", ("api", "type", "route", "function", "url"), rows)


def _integration_label(route: RouteSpec) -> str:
    """What answers a route that invokes no function: (mock), (http_proxy URL), ..."""
    spec = route.integration
    if spec is None:
        return ""
    if spec.type == "HTTP_PROXY":
        return f"(http_proxy {spec.uri})"
    if spec.type == "START_EXECUTION":
        return f"(StartExecution {spec.uri.rsplit(':', 1)[-1]})"
    return "(mock)" if spec.type == "MOCK" else "(not emulated: answers 500)"


async def start_lambda_faces(
    cloud: LocalCloud, options: ServeOptions
) -> tuple[UrlServers, WebSocketServers]:
    """Function URLs and WebSocket APIs served; urls.json written (again when the
    Lambda API adds or removes a function URL)."""
    url_servers = await start_function_urls(cloud, options)
    websockets = await start_websocket_apis(cloud, options)
    if options.write_urls is not None:
        write = options.write_urls
        sockets = {api.qualified_id: websockets.urls(api)[0] for api in websockets.apis}
        url_servers.on_change = lambda: write(function_urls(cloud, url_servers), sockets)
        write(function_urls(cloud, url_servers), sockets)
    return url_servers, websockets


async def start_function_urls(cloud: LocalCloud, options: ServeOptions) -> UrlServers:
    """Serve every function URL; urls.json follows the ones the API adds or removes."""
    servers = UrlServers(
        cloud.function_urls,
        cloud.invoker,
        options.host,
        cloud.options.clock,
        sockets=options.url_sockets,
    )
    cloud.url_locator = servers.local_url
    await servers.start()
    return servers


async def start_websocket_apis(cloud: LocalCloud, options: ServeOptions) -> WebSocketServers:
    servers = WebSocketServers(
        cloud.websocket_apis,
        cloud.invoker,
        options.host,
        cloud.options.clock,
        cloud.certificate or (Path(), Path()),
        options.websocket_sockets,
        time_scale=cloud.options.time_scale,
    )
    cloud.websockets = servers
    await servers.start()
    return servers


def function_urls(cloud: LocalCloud, servers: UrlServers) -> dict[str, str]:
    """``Fn`` (or ``Fn:alias``) -> where its URL is served."""
    found = {}
    for config in cloud.function_urls.all():
        local = servers.local_url(config.url_id)
        if local is not None:
            name = config.function + (f":{config.qualifier}" if config.qualifier else "")
            found[name] = local
    return found


def function_urls_table(cloud: LocalCloud, servers: UrlServers) -> summary.Item:
    rows = []
    for config in cloud.function_urls.all():
        name = config.function + (f":{config.qualifier}" if config.qualifier else "")
        local = servers.local_url(config.url_id) or "-"
        rows.append((name, config.auth_type, config.invoke_mode, local, config.aws_url))
    return summary.table("Function URLs", ("function", "auth", "mode", "url", "on AWS"), rows)


def resources_table(cloud: LocalCloud) -> summary.Item:
    rows = [(res.service, res.kind, res.name, res.detail) for res in cloud.provisioned]
    return summary.table("Resources", ("service", "kind", "name", "detail"), rows)


async def serve(
    app: Application, cloud: LocalCloud, options: ServeOptions, console: Console | None = None
) -> None:
    # The terminal's console (rich) is made when there is something to print: importing
    # it would hold up the first requests.
    made: list[Console] = [console] if console is not None else []

    def terminal() -> Console:
        if not made:
            made.append(summary.terminal())
        return made[0]

    started = time.perf_counter() if options.started is None else options.started
    issuers = cloud.issuers  # JWT issuer -> local JWKS URL; checked up front
    # The services first: the endpoint and the APIs serve as soon as the template's
    # resources exist, while the functions' worlds finish preparing (a request that
    # invokes a function waits for its zygote).
    await cloud.start_services()
    faces = await _serve_faces(app, cloud, options)
    resume_collector()
    server, serving, gateways, (url_servers, websockets), tasks = faces
    aws_url = f"http://{_url_host(options.host)}:{options.aws_port}"
    try:
        try:
            await _ready(cloud, options.warm, terminal)
        except BaseException:  # a dependency that cannot install: stop serving, say why
            server.should_exit = True
            with contextlib.suppress(Exception):
                await serving
            raise
        if server.started:
            # The summary once the first requests, a client waiting for the port, have
            # been answered (its child process takes a core for some 0.1 s).
            await cloud.until_quiet()
            items = startup_summary(app, cloud, options, faces[3], issuers, aws_url, started)
            if made:  # rich is here already: the caller's console (a test's), a spinner's
                summary.render(items, made[0])
            else:
                await summary.print_in_child(items)
        if options.settled is not None:
            options.settled()
        settle_heap()
        await serving
    finally:
        await websockets.stop()
        await url_servers.stop()
        await asyncio.gather(*(gateway.stop() for gateway in gateways))
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with terminal().status("stopping..."):
            await cloud.stop()
        terminal().print("serverlite stopped")


async def _ready(cloud: LocalCloud, warm: bool, terminal: Callable[[], Console]) -> None:
    """The functions' worlds ready (one environment per function started, with --warm);
    a spinner says what start-up waits for once it takes longer than a moment."""
    waiting = asyncio.ensure_future(_functions_ready(cloud, warm))
    try:
        await asyncio.wait({waiting}, timeout=SPINNER_AFTER_S)
        if not waiting.done():
            with terminal().status("installing functions' dependencies, provisioning resources..."):
                await waiting
        waiting.result()
    except BaseException:
        waiting.cancel()
        raise


async def _functions_ready(cloud: LocalCloud, warm: bool) -> None:
    await cloud.functions_ready()
    if warm:
        await cloud.warm()


def startup_summary(
    app: Application,
    cloud: LocalCloud,
    options: ServeOptions,
    faces: tuple[UrlServers, WebSocketServers],
    issuers: Mapping[str, str],
    aws_url: str,
    started: float,
) -> list[summary.Item]:
    """What runs, what is not emulated, where everything is: said once, at start."""
    url_servers, websockets = faces
    items = [startup_table(app)]
    if options.endpoints:
        items.append(apis_table(options.endpoints))
    if cloud.function_urls.all():
        items.append(function_urls_table(cloud, url_servers))
    if cloud.provisioned:
        items.append(resources_table(cloud))
    for warning in [*startup_warnings(app), *websocket_warnings(app)]:
        items.append(summary.line(f"[yellow]warning:[/] {warning}", soft_wrap=False))
    for missing in not_emulated(app, registry.service_names()):
        items.append(summary.line(f"[yellow]not emulated:[/] {missing}"))
    for note in cloud.iam_notes():
        items.append(summary.line(note, markup=False))
    for note in cloud.notes:
        items.append(summary.line(f"note: {note}", markup=False))
    for e in options.endpoints:
        for text in authorizers.api_key_lines(e.api):
            items.append(summary.line(text, markup=False))
        for warning in authorizers.authorizer_warnings(e.api, issuers):
            items.append(summary.line(f"[yellow]warning:[/] {warning}"))
        for warning in (*e.api.warnings, *integrations.integration_warnings(e.api)):
            items.append(summary.line(f"[yellow]warning:[/] {warning}"))
    apis = (
        "".join(f"API {e.api.qualified_id}: [bold]{e.stage_url}[/]\n" for e in options.endpoints)
        + "".join(
            f"URL {name}: [bold]{url}[/]\n"
            for name, url in function_urls(cloud, url_servers).items()
        )
        + "".join(
            f"WebSocket {api.qualified_id}: [bold]{websockets.urls(api)[0]}[/] "
            f"(@connections: {websockets.urls(api)[1]})\n"
            for api in websockets.apis
        )
    )
    example = app.functions[0].name if app.functions else "NAME"
    services = ", ".join(["Lambda", *registry.titles()])  # built or not yet asked for
    items.append(
        summary.line(  # soft-wrapped: the terminal wraps, so a command copied is one line
            f"\n[bold green]serverlite is up[/] in {time.perf_counter() - started:.2f} s"
            f" — AWS endpoint [bold]{aws_url}[/] ({services})\n{apis}"
            f"console: [bold]{_console_url(cloud, options, aws_url)}[/]\n"
            f"state: {cloud.options.state_dir}   logs: serverlite logs FUNCTION --follow\n"
            f"try:   {_aws_hint(cloud.options.state_dir)} lambda invoke --function-name "
            f"{example} out.json\n"
            "Ctrl-C to stop"
        )
    )
    return items


async def _serve_faces(
    app: Application, cloud: LocalCloud, options: ServeOptions
) -> tuple[
    EndpointServer,
    asyncio.Task[None],
    list[HttpServer],
    tuple[UrlServers, WebSocketServers],
    list[asyncio.Task[None]],
]:
    """The APIs, function URLs, WebSocket APIs and the AWS endpoint served; code watched
    for hot reload."""
    server = endpoint_server(
        cloud,
        options.host,
        options.allow_hosts,
        idle_timeout_s=options.connection_limits.idle_timeout_s,
    )
    connections = Connections(options.connection_limits)  # one budget for every port
    tasks: list[asyncio.Task[None]] = []
    if options.reload:
        tasks.append(
            asyncio.create_task(
                reload.watch(app.functions, cloud.pool.invalidate, ignore=[cloud.options.state_dir])
            )
        )
    gateways = [
        _gateway_server(cloud.gateway(e), e, connections, options.sockets.get(e.port))
        for e in options.endpoints
    ]
    for gateway in gateways:
        await gateway.start()
    faces = await start_lambda_faces(cloud, options)
    serving = await start_endpoint(
        server,
        connections,
        lambda: options.sockets.get(options.aws_port) or bind(options.host, options.aws_port),
    )
    return server, serving, gateways, faces, tasks


def endpoint_server(
    cloud: LocalCloud, host: str, allow_hosts: tuple[str, ...] = (), *, idle_timeout_s: float
) -> EndpointServer:
    """uvicorn serving the cloud's AWS endpoint to the hosts it answers (not started)."""
    config = uvicorn.Config(
        cloud.endpoint_app(allowed_hosts(host, cloud.options.endpoint_url, allow_hosts)),
        host=host,
        log_level="warning",
        lifespan="off",
        access_log=False,
        timeout_graceful_shutdown=30,
        # No "server: uvicorn": AWS's endpoints do not name a web server (DynamoDB's
        # says "Server: Server"); boto3 code must not see what serves it locally.
        server_header=False,
        timeout_keep_alive=int(idle_timeout_s),
        ws=_WebSocketUpgrade,
        # AWS's endpoints take X-Forwarded-For as any header: no proxy stands in front
        # whose word would replace the client's address (and no middleware per request).
        proxy_headers=False,
    )
    return EndpointServer(config, cloud.begin_shutdown)


class _WebSocketUpgrade(asyncio.Protocol):
    """uvicorn's websocket protocol ("auto"), imported at the first upgrade request
    rather than at start (the endpoint serves no websocket: Starlette refuses the
    upgrade with 403, as before)."""

    def __new__(cls, **options: Any) -> asyncio.Protocol:  # type: ignore[misc]
        from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

        assert AutoWebSocketsProtocol is not None  # uvicorn[standard] brings websockets
        return AutoWebSocketsProtocol(**options)


async def start_endpoint(
    server: EndpointServer,
    connections: Connections,
    sockets: Callable[[], list[socket.socket]],
) -> asyncio.Task[None]:
    """Run ``server``; once it is up, accept on ``sockets()``. The task ends when it stops."""
    # uvicorn accepts nothing itself (sockets=[]): the endpoint's connections are accepted
    # under the same cap as the APIs' (serverlite.connections).
    serving = asyncio.create_task(server.serve(sockets=[]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if server.started:
        server.listener = Listener(
            connections, sockets(), endpoint_connection.factory(server, connections)
        )
    return serving


class EndpointServer(uvicorn.Server):
    """uvicorn, telling the cloud when shutdown starts: long polls end instead of holding
    the graceful shutdown for up to 20 s."""

    def __init__(self, config: uvicorn.Config, on_shutdown: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_shutdown = on_shutdown
        self.listener: Listener | None = None

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self._on_shutdown()
        if self.listener is not None:
            await self.listener.close()
        await super().shutdown(sockets)


def _gateway_server(
    gateway: Gateway,
    endpoint: ApiEndpoint,
    connections: Connections,
    sockets: list[socket.socket] | None,
) -> HttpServer:
    return HttpServer(
        gateway.handle,
        endpoint.host,
        endpoint.port,
        limits=LIMITS,
        refuse=gateway.refuse,
        registry=connections,
        sockets=sockets,
    )


def _console_url(cloud: LocalCloud, options: ServeOptions, aws_url: str) -> str:
    """The web console's URL, its overview told the APIs' URLs now they are served."""
    if not cloud.options.console:
        return "off (--no-console)"
    cloud.console.apis[:] = [(e.api.qualified_id, e.stage_url) for e in options.endpoints]
    return f"{aws_url}{CONSOLE_PREFIX}/"


def _aws_hint(state_dir: Path) -> str:
    """`serverlite aws` (endpoint, credentials and region filled in: plain `aws` fails
    without them on a new machine), told where this state is when it is not the default."""
    if state_dir == Path(".serverlite"):
        return "serverlite aws"
    return f"SERVERLITE_STATE_DIR={shlex.quote(str(state_dir))} serverlite aws"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
