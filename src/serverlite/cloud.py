"""The local cloud: everything that runs an application, wired once.

``LocalCloud`` assembles the zygote, the environment pool, the log store, the
concurrency limits, the durable async queue, the invoker, the emulated AWS services
(through ``aws.registry``) and the API gateways for one application. ``serverlite up``
serves it on sockets, ``serverlite.testing`` calls its gateways without a socket, and
``serverlite invoke`` uses it for one call.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from starlette.types import ASGIApp

from serverlite import state
from serverlite.aws import deferred, registry
from serverlite.aws.arn_sender import ArnSender
from serverlite.aws.backend import (
    Backend,
    JsonService,
    ProvisionedResource,
    QueryService,
    RestJsonService,
    ServiceContext,
)
from serverlite.aws.dispatch.admission import AllowedHosts
from serverlite.aws.dispatch.faults import ServiceFaults
from serverlite.aws.dispatch.iam_check import IamCheck, Mode
from serverlite.aws.endpoint import LOOPBACK_ONLY, build_app
from serverlite.aws.lambda_urls_api import UrlApi
from serverlite.aws.lambda_urls_api import face as url_api_face
from serverlite.console.context import ConsoleContext
from serverlite.defaults import AWS_ENDPOINT_URL
from serverlite.deps.cache import DepCache
from serverlite.function_urls.configs import FunctionUrls
from serverlite.functions.debug_target import DebugTarget
from serverlite.functions.environment import Settings
from serverlite.functions.pool import EnvironmentPool
from serverlite.functions.zygote import Zygotes
from serverlite.gateway import authorizers
from serverlite.gateway.frontend import ApiEndpoint
from serverlite.gateway.gateway import Gateway
from serverlite.gateway.model import ThrottleSpec
from serverlite.gateway.throttling import ACCOUNT_LIMIT, Throttles
from serverlite.iam import journal
from serverlite.iam.identities import Identities
from serverlite.iam.journal import Journal
from serverlite.invoker import Invoker
from serverlite.invoker.async_queue import AsyncQueue
from serverlite.invoker.concurrency import ConcurrencyLimits
from serverlite.invoker.destinations import Destinations
from serverlite.invoker.versions import Provisioned, Versions
from serverlite.observe import xray_daemon
from serverlite.observe.logs import LogStore
from serverlite.observe.metrics import MetricStore
from serverlite.observe.observed_logs import ObservedLogs
from serverlite.observe.observer import Observer
from serverlite.observe.publishing import Publisher
from serverlite.observe.traces import TraceStore
from serverlite.observe.tracing import Tracer
from serverlite.template import coverage
from serverlite.template.model import Application, FunctionSpec
from serverlite.websocket_api import model as websocket_model
from serverlite.websocket_api import tls
from serverlite.websocket_api.serving import WebSocketServers


@dataclass(frozen=True)
class CloudOptions:
    state_dir: Path = Path(".serverlite")
    endpoint_url: str = AWS_ENDPOINT_URL
    account_concurrency: int = 1000
    api_account_limit: ThrottleSpec = ACCOUNT_LIMIT  # API Gateway's per-account throttle
    idle_timeout_s: float = 600.0
    time_scale: float = 1.0  # >1 makes async retry delays and event ages pass faster (tests)
    memory_budget_mb: int | None = None  # live environments' MemorySize; None: half the RAM
    issuers: Mapping[str, str] | None = None  # JWT issuer -> local JWKS URL; None: from env
    debug: DebugTarget | None = None  # the function run under debugpy (--debug)
    terminal: str | None = None  # where breakpoint() opens pdb (serverlite invoke's tty)
    clock: Callable[[], float] = time.time  # epoch seconds; a test's VirtualClock moves
    tracing: bool = True  # record X-Ray traces (the X-Ray API and daemon answer)
    metrics: bool = True  # publish CloudWatch metrics (AWS/Lambda, AWS/ApiGateway, EMF, ...)
    console: bool = True  # the web console under /_console on the AWS endpoint
    # The X-Ray daemon's UDP port: its usual 2000 when free, else (or 0) one from the OS.
    xray_port: int = xray_daemon.DEFAULT_PORT
    iam: Mode = "warn"  # functions' calls to the AWS endpoint: enforce, warn or off
    deps_cache: Path | None = None  # installed requirement sets; None: the user's cache


# A service the template does not use is built once the endpoint has had no request for
# this long (building one holds the loop for 5-40 ms), or after waiting BUILD_AT_MOST_S.
QUIET_S = 0.02
BUILD_AT_MOST_S = 0.2


class LocalCloud:
    def __init__(self, app: Application, options: CloudOptions) -> None:
        self.app = app
        self.options = options
        state_dir = options.state_dir
        state.private_dir(state_dir)  # 0700: the state is the user's alone
        self.zygotes = Zygotes()  # one per (interpreter, dependencies), on first use
        self.logs = LogStore(state_dir / "logs.db")
        traces = (
            TraceStore(state_dir / "traces.db", clock=options.clock) if options.tracing else None
        )
        self.tracer = Tracer(
            traces, region=app.region, account_id=app.account_id, clock=options.clock
        )
        metrics = (
            MetricStore(state_dir / "metrics.db", clock=options.clock) if options.metrics else None
        )
        self.publisher = Publisher(metrics)
        log_sink = ObservedLogs(self.logs, metrics)  # EMF lines become metrics
        self.observer = Observer(
            tracer=self.tracer,
            traces=traces,
            publisher=self.publisher,
            metrics=metrics,
            logs=self.logs,
            log_sink=log_sink,
        )
        # Bound now, so functions are started knowing where the daemon is.
        self._xray_socket = (
            xray_daemon.bind("127.0.0.1", options.xray_port) if traces is not None else None
        )
        self.xray_daemon = xray_daemon.XrayDaemon(traces) if traces is not None else None
        daemon_address = (
            f"127.0.0.1:{self._xray_socket.getsockname()[1]}" if self._xray_socket else None
        )
        self.api_throttles = Throttles(account=options.api_account_limit)  # all APIs share it
        self.websocket_apis = websocket_model.discover(app)
        # The WebSocket APIs' TLS port serves this certificate; functions trust it.
        self.certificate = tls.certificate(state_dir) if self.websocket_apis else None
        self.pool = EnvironmentPool(
            zygotes=self.zygotes,
            settings=Settings(
                region=app.region,
                endpoint_url=options.endpoint_url,
                debug=options.debug,
                terminal=options.terminal,
                ca_bundle=str(self.certificate[0].resolve()) if self.certificate else None,
                xray_daemon=daemon_address,
            ),
            state_dir=state_dir,
            log_sink=log_sink,
            idle_timeout_s=options.idle_timeout_s,
            memory_budget_mb=options.memory_budget_mb,
            deps_cache=DepCache(options.deps_cache),
        )
        # The functions' worlds (dependencies installed, zygotes started) are prepared
        # from here on, on a thread of their own: a zygote is a process of its own, so it
        # warms on another core while this one builds the services and serves.
        self._functions_ready = _in_background(self.pool.prepare, app.functions)
        self._adopting: set[asyncio.Future[None]] = set()
        self._slow_provisioning: asyncio.Future[list[list[ProvisionedResource]]] | None = None
        self._until_built: deferred.UntilBuilt | None = None  # the endpoint, while it has one
        self.async_queue = AsyncQueue(
            state_dir / "state.db", clock=options.clock, time_scale=options.time_scale
        )
        self.versions = Versions(app, state_dir, clock=options.clock)
        self.invoker = Invoker(
            app,
            self.pool,
            ConcurrencyLimits(app.functions, options.account_concurrency),
            self.async_queue,
            clock=options.clock,
            versions=self.versions,
            tracer=self.tracer,
            publisher=self.publisher,
        )
        self.function_urls = FunctionUrls(app, state_dir, clock=options.clock)
        # Where a function URL is served (set by `serverlite up`; None: not served).
        self.url_locator: Callable[[str], str | None] = lambda url_id: None
        built = registry.build(
            ServiceContext(
                state_dir=state_dir,
                region=app.region,
                account_id=app.account_id,
                clock=options.clock,
                endpoint_url=options.endpoint_url,
                time_scale=options.time_scale,
                observer=self.observer,
            ),
            # What the template uses is built now; the others that kept state (from
            # before this start) once `up` serves (build_deferred); the rest when
            # something asks for one of them (nothing of theirs runs meanwhile).
            first=coverage.services_used(app),
            soon=registry.with_state(state_dir),
        )
        self._built = built
        self._owner = threading.get_ident()  # the thread whose loop uses the stores
        self._run_event_sources = False  # start_services started them: so do deferred ones
        self._provisioned = False  # functions_ready ran: a service built later is as provisioned
        self.services = built.backends  # grows in place as deferred services are built
        self.aws = built.aws
        self.aws.pending = self.build_deferred_now if built.deferred else None
        self.service_faults = ServiceFaults()  # a test's: services answer errors or latency
        self.aws.faults = self.service_faults
        self.provisioned: list[ProvisionedResource] = []
        self.websockets: WebSocketServers | None = None  # set by `serverlite up`
        self.notes: list[str] = []  # what start found worth saying (Powertools layers)
        self._worker: asyncio.Task[None] | None = None
        self.iam_journal = Journal(state_dir / journal.FILE)
        self.console = ConsoleContext(  # the web console's view of this cloud
            app,
            self.aws,
            self.invoker,
            self.observer,
            self.logs,
            self.services,
            self.provisioned,
            state_dir=state_dir,
        )

    @cached_property
    def iam(self) -> IamCheck | None:
        """The endpoint's IAM check of functions' calls (None when ``iam`` is off)."""
        if self.options.iam == "off":
            return None
        return IamCheck(
            Identities(self.app),
            self.options.iam,
            self.iam_journal,
            region=self.app.region,
            account=self.app.account_id,
            clock=self.options.clock,
        )

    def iam_notes(self) -> list[str]:
        """What startup says about IAM: the mode, and policies that could not be read."""
        if self.iam is None:
            return ["IAM off: functions' calls to the AWS endpoint are not checked"]
        notes = [
            f"IAM {self.options.iam}: each function's calls are checked against its "
            "identity policies (docs/iam.md); `serverlite iam suggest` prints what they need"
        ]
        return notes + list(self.iam.identities.notes)

    @cached_property
    def issuers(self) -> Mapping[str, str]:
        """JWT / Cognito issuers mapped to local URLs (``SERVERLITE_JWT_ISSUERS`` unless
        the options give them); read on first use, so a bad value fails before serving."""
        given = self.options.issuers
        return authorizers.issuers_from_env() if given is None else given

    def gateway(self, endpoint: ApiEndpoint) -> Gateway:
        """The gateway of one API: its authorizers, and the account's shared throttle."""
        api = endpoint.api
        authorizer = authorizers.build_authorizer(api, self.invoker, issuers=self.issuers)
        return Gateway(
            api,
            self.invoker,
            authorizer=authorizer,
            throttles=self.api_throttles,
            port=endpoint.port,
            tracer=self.tracer,
            publisher=self.publisher,
            aws=self.aws,
        )

    def endpoint_app(self, hosts: AllowedHosts = LOOPBACK_ONLY) -> ASGIApp:
        """The AWS endpoint: Lambda's API and every service's faces, answering ``hosts``,
        with the web console under ``/_console`` (same hosts, its own rules). While some
        services are not built yet, JSON requests to the built ones are answered at once
        and any other request first builds the rest."""
        if not self._built.deferred:
            return self._endpoint_app(hosts)
        early = self._endpoint_app(hosts, console=False)
        prefixes = frozenset(face.target_prefix for face in self.json_services)
        self._until_built = deferred.UntilBuilt(
            early,
            prefixes,
            pending=lambda: bool(self._built.deferred),
            build=self.build_deferred_now,
            full=lambda: self._endpoint_app(hosts),
        )
        return self._until_built

    def _endpoint_app(self, hosts: AllowedHosts, *, console: bool = True) -> ASGIApp:
        urls = url_api_face(UrlApi(self.invoker, self.function_urls, self._local_url))
        endpoint = build_app(
            self.invoker,
            self.json_services,
            self.query_services,
            [*self.rest_services, urls],
            hosts,
            tracer=self.tracer if self.tracer.enabled else None,
            publisher=self.publisher if self.publisher.enabled else None,
            rest_xml_service=next(
                (service.rest_xml for service in self.services if service.rest_xml), None
            ),
            iam=self.iam,
            faults=self.service_faults,
        )
        if not self.options.console or not console:
            return endpoint
        # The console's views: imported when the endpoint of every service is built (after
        # `up` serves), not before the first request.
        from serverlite.console import app as console_app
        from serverlite.console.guard import Guard

        # Behind Invoke's lane (whose path is never the console's), in front of the rest.
        console_views = console_app.build(self.console, Guard(hosts))
        endpoint.app = console_app.Mount(endpoint.app, console_views)
        return endpoint

    def _local_url(self, url_id: str) -> str | None:
        return self.url_locator(url_id)  # looked up per call: `up` sets it once serving

    @property
    def json_services(self) -> list[JsonService]:
        return [service.json for service in self.services if service.json is not None]

    @property
    def rest_services(self) -> list[RestJsonService]:
        """rest-json services besides Lambda (EventBridge Scheduler)."""
        return [service.rest for service in self.services if service.rest is not None]

    @property
    def query_services(self) -> list[QueryService]:
        return [service.query for service in self.services if service.query is not None]

    async def start(self, *, run_async_queue: bool = True) -> None:
        """Everything started, the functions' worlds included."""
        await self.start_services(run_async_queue=run_async_queue)
        await self.functions_ready()

    async def start_services(self, *, run_async_queue: bool = True) -> None:
        """The template's resources provisioned and the services running; the functions'
        worlds may still be preparing (an invocation waits for its zygote)."""
        loop = asyncio.get_running_loop()
        slow = []
        for service in self.services:  # template resources exist before anything runs
            if service.provisions_slowly:  # in order, after those it reads (secrets)
                slow.append(loop.run_in_executor(None, service.provision, self.app))
            else:
                self.provisioned += await loop.run_in_executor(None, service.provision, self.app)
        self._slow_provisioning = asyncio.gather(*slow)
        # The environments of functions that may reach what it makes start once it is done.
        slow_services = [service for service in self.services if service.provisions_slowly]
        self.pool.hold(
            self._slow_provisioning,
            lambda fn: any(service.holds_back(self.app, fn) for service in slow_services),
        )
        await loop.run_in_executor(None, self.versions.publish_template)
        self.pool.start()
        if self.xray_daemon is not None and self._xray_socket is not None:
            await self.xray_daemon.start(self._xray_socket)
        if run_async_queue:
            sender = ArnSender(self.aws, self.invoker.invoke, self.options.endpoint_url)
            destinations = Destinations(self.app, sender, self.publisher)
            self._worker = asyncio.create_task(
                self.async_queue.run(
                    self.invoker.run_queued,
                    destinations.finish,
                    self.invoker.retry_policy,
                    capacity=self.invoker.capacity,
                )
            )
            self._run_event_sources = True
            for service in list(self.services):  # SQS pollers, deliveries, schedules: `up` only
                await service.start_event_sources(self.invoker)

    async def functions_ready(self) -> None:
        """Every function's dependencies installed and the zygotes of their worlds
        started (raises DependencyError naming what could not install), then the
        provisioned concurrency configs' environments started. The slow provisioning
        (PostgreSQL) is done too: its error is raised here."""
        await self.build_deferred()
        self.notes = await asyncio.wrap_future(self._functions_ready)
        if self._slow_provisioning is not None:
            for resources in await self._slow_provisioning:
                self.provisioned += resources
        for service in self.services:  # the state a test's reset returns to
            service.template_provisioned()
        self._provisioned = True
        for config in self.versions.all_provisioned():
            await self.provision(config)

    async def build_deferred(self) -> None:
        """Build the services the template does not use but that kept state (schedules,
        executions, alarms to resume), one at a time, each when the endpoint is quiet:
        `up` serves before they exist, and its first requests (a client waiting for the
        port) are answered before them. The others are built when asked for."""
        quiet_since = time.monotonic()
        while self._built.pending_soon():
            await self.until_quiet(quiet_since)
            self._adopt(self._built.build_deferred(1, soon=True))
            await asyncio.sleep(0.002)  # the requests that arrived meanwhile go first

    async def until_quiet(self, since: float | None = None) -> None:
        """Until the endpoint has had no request for QUIET_S (nor since ``since``; None:
        now), waiting BUILD_AT_MOST_S at most: what start-up does for itself (building
        services, printing the summary) goes after a client's first requests."""
        since = time.monotonic() if since is None else since
        waited = 0.0
        while waited < BUILD_AT_MOST_S:
            last = self._until_built.last_request if self._until_built else 0.0
            wait = max(since, last) + QUIET_S - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(wait)
            waited += wait

    def build_deferred_now(self) -> None:
        """Build every service not built yet, now (something asked for one of them). Only
        on the thread that owns the stores, whose loop runs their event sources."""
        if threading.get_ident() == self._owner and self._built.deferred:
            self._adopt(self._built.build_deferred())

    def _adopt(self, added: list[Backend]) -> None:
        """Newly built services, provisioned (the template uses none of them: there is
        next to nothing to make), their event sources started if the others' were."""
        if not self._built.deferred:
            self.aws.pending = None
        for service in added:
            self.provisioned += service.provision(self.app)
            if self._provisioned:  # what a test's reset returns it to
                service.template_provisioned()
        if self._run_event_sources:
            for service in added:
                starting = asyncio.ensure_future(service.start_event_sources(self.invoker))
                self._adopting.add(starting)
                starting.add_done_callback(self._adopting.discard)

    async def provision(self, config: Provisioned) -> None:
        """Start the environments a provisioned concurrency config keeps initialised."""
        fn = self.app.find_function(config.function)
        version = fn and self.versions.resolved_version(fn, config.qualifier)
        if fn is None or not version:
            return
        ready = await self.pool.provision(self.versions.spec(fn, version), config.requested)
        self.versions.set_allocated(config, ready)

    def clock_moved(self) -> None:
        """The clock jumped forward (a test's ``advance``): what waits for a time looks
        again now, instead of when it meant to wake."""
        self.async_queue.wake()
        for service in self.services:
            service.clock_moved()
        if self.websockets is not None:  # idle and 2 h connection limits
            self.websockets.check_limits()

    def reset(self) -> None:
        """Back to what the template provisioned: data written since start forgotten
        (items, objects, messages, records, executions, waiting async invocations, logs,
        traces, metrics), configuration services (SNS, EventBridge, SSM, Secrets Manager,
        CloudWatch alarms) as provisioned, injected faults cleared; warm environments stay."""
        self.invoker.faults.clear()
        self.service_faults.clear()
        self.async_queue.truncate()
        for service in self.services:
            service.reset()
        self.logs.clear()
        if self.observer.traces is not None:
            self.observer.traces.clear()
        if self.observer.metrics is not None:
            self.observer.metrics.clear()

    async def warm(self) -> None:
        await asyncio.gather(*(self.pool.warm(fn) for fn in self.app.functions))

    def begin_shutdown(self) -> None:
        """The endpoint stops taking requests: services end waits (SQS long polls) now, so
        in-flight requests finish instead of holding the shutdown."""
        for service in self.services:
            service.begin_shutdown()

    async def stop(self) -> None:
        for service in self.services:
            await service.stop_event_sources()
        # A zygote still starting, or PostgreSQL, is let finish: closing stops it too.
        with contextlib.suppress(Exception):
            await asyncio.wrap_future(self._functions_ready)
        if self._slow_provisioning is not None:
            with contextlib.suppress(Exception):
                await self._slow_provisioning
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await self.pool.close()
        await asyncio.get_running_loop().run_in_executor(None, self.zygotes.close)
        if self.xray_daemon is not None:
            self.xray_daemon.close()
        if self._xray_socket is not None:
            self._xray_socket.close()
        self.logs.close()
        self.observer.close()
        self.async_queue.close()
        self.versions.close()
        self.function_urls.close()
        self.iam_journal.close()
        for service in self.services:
            service.close()


def _in_background(
    work: Callable[[Sequence[FunctionSpec]], list[str]], functions: Sequence[FunctionSpec]
) -> concurrent.futures.Future[list[str]]:
    """``work(functions)`` run on a daemon thread; its result (or error) in the future."""
    future: concurrent.futures.Future[list[str]] = concurrent.futures.Future()

    def run() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(work(functions))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=run, name="serverlite-worlds", daemon=True).start()
    return future
