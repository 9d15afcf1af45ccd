"""The local cloud: everything that runs an application, wired once.

``LocalCloud`` assembles the zygote, the environment pool, the log store, the
concurrency limits, the durable async queue and the invoker for one application.
``serverlite up`` serves it on sockets; ``serverlite invoke`` uses it for one call.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from pathlib import Path

from serverlite import state
from serverlite.aws.json_protocol import JsonService, RestJsonService
from serverlite.aws.local_client import LocalAws
from serverlite.aws.query_protocol import QueryService
from serverlite.aws.services import (
    EventSourceBackend,
    ProvisionedResource,
    ServiceContext,
    build_services,
)
from serverlite.functions.environment import Settings
from serverlite.functions.pool import EnvironmentPool
from serverlite.functions.zygote import Zygote
from serverlite.gateway.model import ThrottleSpec
from serverlite.gateway.throttling import ACCOUNT_LIMIT, Throttles
from serverlite.invoker import Invoker
from serverlite.invoker.async_queue import AsyncQueue
from serverlite.invoker.concurrency import ConcurrencyLimits
from serverlite.invoker.destinations import Destinations
from serverlite.observe.logs import LogStore
from serverlite.template.model import Application


@dataclass(frozen=True)
class CloudOptions:
    state_dir: Path = Path(".serverlite")
    endpoint_url: str = "http://127.0.0.1:4566"
    account_concurrency: int = 1000
    api_account_limit: ThrottleSpec = ACCOUNT_LIMIT  # API Gateway's per-account throttle
    idle_timeout_s: float = 600.0
    time_scale: float = 1.0  # >1 makes async retry delays and event ages pass faster (tests)
    memory_budget_mb: int | None = None  # live environments' MemorySize; None: half the RAM


class LocalCloud:
    def __init__(self, app: Application, options: CloudOptions) -> None:
        self.app = app
        self.options = options
        state_dir = options.state_dir
        state.private_dir(state_dir)  # 0700: the state is the user's alone
        self.zygote = Zygote()
        self.logs = LogStore(state_dir / "logs.db")
        self.api_throttles = Throttles(account=options.api_account_limit)  # all APIs share it
        self.pool = EnvironmentPool(
            zygote=self.zygote,
            settings=Settings(region=app.region, endpoint_url=options.endpoint_url),
            state_dir=state_dir,
            log_sink=self.logs,
            idle_timeout_s=options.idle_timeout_s,
            memory_budget_mb=options.memory_budget_mb,
        )
        self.async_queue = AsyncQueue(state_dir / "state.db", time_scale=options.time_scale)
        self.invoker = Invoker(
            app,
            self.pool,
            ConcurrencyLimits(app.functions, options.account_concurrency),
            self.async_queue,
        )
        self.services = build_services(
            ServiceContext(
                state_dir=state_dir,
                region=app.region,
                account_id=app.account_id,
                clock=time.time,
                endpoint_url=options.endpoint_url,
                time_scale=options.time_scale,
            )
        )
        self.aws = LocalAws(self.services, options.endpoint_url)
        self.provisioned: list[ProvisionedResource] = []
        self._worker: asyncio.Task[None] | None = None

    @property
    def json_services(self) -> list[JsonService]:
        return [service.json for service in self.services if service.json is not None]

    @property
    def rest_services(self) -> list[RestJsonService]:
        """rest-json services besides Lambda (an optional ``rest`` attribute: Scheduler)."""
        found = (getattr(service, "rest", None) for service in self.services)
        return [service for service in found if isinstance(service, RestJsonService)]

    @property
    def query_services(self) -> list[QueryService]:
        """Services that also speak the query protocol (an optional ``query`` attribute)."""
        found = (getattr(service, "query", None) for service in self.services)
        return [service for service in found if isinstance(service, QueryService)]

    async def start(self, *, run_async_queue: bool = True) -> None:
        loop = asyncio.get_running_loop()
        zygote = loop.run_in_executor(None, self.zygote.start)
        for service in self.services:  # template resources exist before anything runs
            self.provisioned += await loop.run_in_executor(None, service.provision, self.app)
        await zygote
        self.pool.start()
        if run_async_queue:
            destinations = Destinations(self.app, self.aws, self.invoker.invoke)
            self._worker = asyncio.create_task(
                self.async_queue.run(
                    self.invoker.run_queued,
                    destinations.finish,
                    self.invoker.retry_policy,
                    capacity=self.invoker.concurrency.available,
                )
            )
            for source in self.event_sources:  # SQS pollers, ...: `up` only
                await source.start_event_sources(self.invoker)

    async def warm(self) -> None:
        await asyncio.gather(*(self.pool.warm(fn) for fn in self.app.functions))

    @property
    def event_sources(self) -> list[EventSourceBackend]:
        return [s for s in self.services if isinstance(s, EventSourceBackend)]

    def begin_shutdown(self) -> None:
        """The endpoint stops taking requests: services end waits (SQS long polls) now, so
        in-flight requests finish instead of holding the shutdown (an optional hook)."""
        for service in self.services:
            hook = getattr(service, "begin_shutdown", None)
            if callable(hook):
                hook()

    async def stop(self) -> None:
        for source in self.event_sources:
            await source.stop_event_sources()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        await self.pool.close()
        await asyncio.get_running_loop().run_in_executor(None, self.zygote.close)
        self.logs.close()
        self.async_queue.close()
        for service in self.services:
            service.close()
