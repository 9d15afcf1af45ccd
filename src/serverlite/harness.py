"""An application running on a thread of its own, for synchronous code (pytest).

    harness = AppHarness(Path("template.yaml"))
    harness.start()
    harness.client().get("/items/1")                  # the API, without a socket
    harness.aws("dynamodb").list_tables()             # boto3 on the AWS endpoint
    harness.stop()

The application is a ``LocalApp`` serving its AWS endpoint on a loopback port from
the OS; its event loop runs on a daemon thread, so a test (sync, or async in a loop of
its own) calls in through thread-safe futures and never shares a loop with it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import httpx

from serverlite.aws.dispatch.faults import ServiceFault, check
from serverlite.aws.dispatch.iam_check import Mode
from serverlite.cloud import LocalCloud
from serverlite.errors import ConfigError
from serverlite.gateway.gateway import Gateway
from serverlite.invoker.faults import FaultKind
from serverlite.template.env_vars import EnvVars
from serverlite.testing import GatewayTransport, LocalApp
from serverlite.virtual_time import VirtualClock

T = TypeVar("T")
START_TIMEOUT_S = 600.0  # a first start installs requirement sets (the download) and starts zygotes
CALL_TIMEOUT_S = 900.0  # Lambda's longest timeout: a request never waits longer
# The endpoint reads no signature, only the SigV4 access key (which function calls).
TEST_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


class AppHarness:
    """A ``LocalApp`` on a background thread, with sync and async doors into it."""

    def __init__(
        self,
        template: Path,
        *,
        state_dir: Path | None = None,
        parameter_overrides: Mapping[str, str] | None = None,
        iam: Mode = "warn",
        serve: bool = True,  # APIs, function URLs, WebSocket APIs on loopback ports too
        env_vars: EnvVars | None = None,
    ) -> None:
        self.clock = VirtualClock()
        self.local = LocalApp(
            template,
            state_dir=state_dir,
            parameter_overrides=parameter_overrides,
            aws_port=0,
            clock=self.clock,
            iam=iam,
            serve=serve,
            env_vars=env_vars,
        )
        self.faults = Faults(self)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="serverlite-app", daemon=True
        )

    def start(self) -> AppHarness:
        self._thread.start()
        try:
            self.run(self.local.__aenter__(), timeout=START_TIMEOUT_S)
        except BaseException:
            self.stop()  # what did start (the zygote, environments) stops with it
            raise
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            self.run(self.local.__aexit__(None, None, None), timeout=START_TIMEOUT_S)
            self.run(_cancel_the_rest(), timeout=START_TIMEOUT_S)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> AppHarness:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- calling into the app's loop ----------------------------------------------------
    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = CALL_TIMEOUT_S) -> T:
        """Run ``coro`` on the app's loop and wait for its result (from any other thread)."""
        return self.submit(coro).result(timeout)

    # -- what a test holds ----------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        return self.local.endpoint_url

    @property
    def region(self) -> str:
        if self.local.app is None:
            raise ConfigError("the app is not started")
        return self.local.app.region

    def client(self, api: str | None = None) -> httpx.Client:
        """A sync httpx client of one API (``None``: the only one), entering its gateway."""
        return httpx.Client(
            transport=_SyncTransport(self, self.local.gateway(api)), base_url="http://testserver"
        )

    def async_client(self, api: str | None = None) -> httpx.AsyncClient:
        """An async httpx client of one API, usable from any event loop."""
        return httpx.AsyncClient(
            transport=_AsyncTransport(self, self.local.gateway(api)),
            base_url="http://testserver",
        )

    def api_url(self, api: str | None = None) -> str:
        """Where an API is served on loopback (its stage URL): for clients over HTTP."""
        return self.local.api_url(api)

    def function_url(self, function: str) -> str:
        """Where a function's URL is served on loopback."""
        return self.local.function_url(function)

    def websocket_url(self, api: str | None = None) -> str:
        """A WebSocket API's ws:// URL on loopback."""
        return self.local.websocket_url(api)

    def aws(self, service: str, **kwargs: Any) -> Any:
        """A boto3 client of ``service`` on the app's AWS endpoint (dummy credentials, the
        template's region); ``kwargs`` go to ``boto3.client``."""
        import boto3

        options: dict[str, Any] = {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            **TEST_CREDENTIALS,
        }
        return boto3.client(service, **(options | kwargs))

    # -- state, time and faults ---------------------------------------------------------
    def reset(self) -> None:
        """Back to what the template provisioned (``LocalCloud.reset``) and the faults
        injected cleared; warm environments stay (no restart)."""
        self.run(self._on_loop(lambda cloud: cloud.reset()))

    def advance(
        self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0, days: float = 0.0
    ) -> None:
        """Move the app's clock forward: SQS delays and visibility, DynamoDB TTL,
        schedules and async retries see the time as passed."""
        self.clock.advance(seconds, minutes=minutes, hours=hours, days=days)
        self.run(self._on_loop(lambda cloud: cloud.clock_moved()))

    def inject(
        self, function: str, kind: FaultKind, times: int = 1, message: str | None = None
    ) -> None:
        """The function's next ``times`` invocations meet ``kind`` ("error", "timeout",
        "throttle") instead of running."""

        def add(cloud: LocalCloud) -> None:
            name = cloud.invoker.resolve(function).name
            cloud.invoker.faults.inject(name, kind, times, message)

        self.run(self._on_loop(add))

    def fail(self, function: str, times: int = 1, message: str | None = None) -> None:
        self.inject(function, "error", times, message)

    def time_out(self, function: str, times: int = 1) -> None:
        self.inject(function, "timeout", times)

    def throttle(self, function: str, times: int = 1) -> None:
        self.inject(function, "throttle", times)

    def clear_faults(self) -> None:
        def clear(cloud: LocalCloud) -> None:
            cloud.invoker.faults.clear()
            cloud.service_faults.clear()

        self.run(self._on_loop(clear))

    async def _on_loop(self, action: Callable[[LocalCloud], object]) -> None:
        if self.local.cloud is None:
            raise ConfigError("the app is not started")
        action(self.local.cloud)


class Faults:
    """``harness.faults``: what misbehaves for a test (cleared by ``clear_faults``)."""

    def __init__(self, harness: AppHarness) -> None:
        self._harness = harness

    def service(
        self,
        service: str,
        operation: str | None = None,
        *,
        error: str | None = None,
        latency: float = 0.0,
        times: int | None = 1,
        message: str | None = None,
        status: int | None = None,
    ) -> ServiceFault:
        """The service's next ``times`` calls (None: every call until cleared) of
        ``operation`` (None: any) answer ``error`` (an exception the service's model
        names, or a common one such as ThrottlingException) and/or wait ``latency``
        seconds first. Answered by the endpoint in the service's wire shape, so boto3's
        retries see what AWS would send; ``.hits`` counts the calls met."""
        fault = check(ServiceFault(service, operation, error, latency, times, message, status))
        self._harness.run(self._harness._on_loop(lambda c: c.service_faults.inject(fault)))
        return fault

    def function(
        self, function: str, kind: FaultKind = "error", times: int = 1, message: str | None = None
    ) -> None:
        """The function's next ``times`` invocations meet ``kind`` ("error", "timeout",
        "throttle") instead of running."""
        self._harness.inject(function, kind, times, message)

    def clear(self) -> None:
        self._harness.clear_faults()


async def _cancel_the_rest() -> None:
    """End what outlives the app (the sweeper of connections a client keeps alive)."""
    current = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not current]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


class _SyncTransport(httpx.BaseTransport):
    def __init__(self, harness: AppHarness, gateway: Gateway) -> None:
        self._harness = harness
        self._inner = GatewayTransport(gateway)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self._harness.run(self._inner.handle_async_request(request))
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=response.content,
            request=request,
        )


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, harness: AppHarness, gateway: Gateway) -> None:
        self._harness = harness
        self._inner = GatewayTransport(gateway)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        future = self._harness.submit(self._inner.handle_async_request(request))
        response = await asyncio.wrap_future(future)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            content=response.content,
            request=request,
        )
