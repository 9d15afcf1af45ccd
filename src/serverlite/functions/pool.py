"""Execution environments per function: reuse while warm, reap when idle, replace on change.

``EnvironmentPool.run(fn, invocation)`` takes a warm environment of the function
(or forks a new one from the zygote: a cold start), runs the invocation, and stores
its log events. Environments of an older code generation (hot reload) are never
reused; one in flight finishes first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from serverlite.functions.environment import Settings, spawn_spec
from serverlite.functions.environment_process import (
    TIMER_HORIZON_S,
    Environment,
    Invocation,
    LogEvent,
    RunOutcome,
)
from serverlite.functions.zygote import Zygote
from serverlite.template.model import FunctionSpec

log = logging.getLogger("serverlite.functions")
SWEEP_S = TIMER_HORIZON_S / 2  # how often busy environments' deadlines are looked at


class LogSink(Protocol):
    def write(self, group: str, stream: str, events: Sequence[LogEvent]) -> None: ...


@dataclass
class _FunctionEnvironments:
    idle: list[Environment] = field(default_factory=list)
    busy: set[Environment] = field(default_factory=set)
    generation: int = 0


class EnvironmentPool:
    def __init__(
        self,
        *,
        zygote: Zygote,
        settings: Settings,
        state_dir: Path,
        log_sink: LogSink | None = None,
        idle_timeout_s: float = 600.0,
        memory_check_interval_s: float = 0.05,
    ) -> None:
        self._zygote = zygote
        self._settings = settings
        self._state_dir = state_dir
        self._sink = log_sink
        self.idle_timeout_s = idle_timeout_s
        self._memory_interval = memory_check_interval_s
        self._functions: dict[str, _FunctionEnvironments] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._sweep: asyncio.TimerHandle | None = None

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        """Start the memory watchdog and the idle reaper (needs a running loop)."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._watch_memory()),
                asyncio.create_task(self._reap_idle()),
            ]

    async def close(self) -> None:
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for envs in self._functions.values():
            for env in [*envs.idle, *envs.busy]:
                env.close()
            envs.idle.clear()
            envs.busy.clear()

    # -- public ------------------------------------------------------------------
    def _envs(self, name: str) -> _FunctionEnvironments:
        envs = self._functions.get(name)
        if envs is None:
            envs = self._functions[name] = _FunctionEnvironments()
        return envs

    async def run(self, fn: FunctionSpec, inv: Invocation) -> RunOutcome:
        envs = self._envs(fn.name)
        env = envs.idle.pop() if envs.idle else None
        cold = env is None
        if env is None:
            env = await self._spawn(fn, envs.generation)
        envs.busy.add(env)
        if self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(SWEEP_S, self._sweep_deadlines)
        try:
            outcome = await env.run(inv, cold)
        except BaseException:
            env.close()  # cancelled mid-invocation: the environment's state is unknown
            raise
        finally:
            envs.busy.discard(env)
        if env.dead or env.init_error is not None or env.generation != envs.generation:
            env.close()
        else:
            envs.idle.append(env)
        if self._sink is not None:
            self._sink.write(fn.log_group_name, outcome.log_stream, outcome.logs)
        return outcome

    def _sweep_deadlines(self) -> None:
        """While environments are busy: arm the timeout timers of those near their end."""
        self._sweep = None
        loop = asyncio.get_running_loop()
        busy = False
        for envs in self._functions.values():
            for env in envs.busy:
                busy = True
                env.arm_timeout(loop)
        if busy:
            self._sweep = loop.call_later(SWEEP_S, self._sweep_deadlines)

    async def warm(self, fn: FunctionSpec) -> None:
        """Start one environment ahead of the first request."""
        envs = self._envs(fn.name)
        if not envs.idle and not envs.busy:
            env = await self._spawn(fn, envs.generation)
            # Warm environments keep their init cost for the first invocation's REPORT.
            envs.idle.append(env)

    def invalidate(self, function_name: str) -> None:
        """The function's code changed: idle environments go, busy ones after they finish."""
        envs = self._envs(function_name)
        envs.generation += 1
        for env in envs.idle:
            env.close()
        envs.idle.clear()

    def counts(self, function_name: str) -> tuple[int, int]:
        """(idle, busy) environments of a function."""
        envs = self._functions.get(function_name)
        return (len(envs.idle), len(envs.busy)) if envs else (0, 0)

    # -- internals ---------------------------------------------------------------
    def code_dir(self, fn: FunctionSpec) -> Path:
        if fn.inline_code is None:
            return fn.code_dir
        # Lambda writes inline (ZipFile) Python code to index.py.
        target = self._state_dir / "inline" / fn.name
        source = target / "index.py"
        if not source.exists() or source.read_text() != fn.inline_code:
            target.mkdir(parents=True, exist_ok=True)
            source.write_text(fn.inline_code)
        return target

    async def _spawn(self, fn: FunctionSpec, generation: int) -> Environment:
        spec = spawn_spec(fn, self.code_dir(fn), self._settings)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        spawned = await loop.run_in_executor(None, self._zygote.spawn, spec)
        env = Environment(fn, spawned, spec["env"]["AWS_LAMBDA_LOG_STREAM_NAME"], generation)
        await env.start(started)
        return env

    async def _watch_memory(self) -> None:
        # Lambda kills an environment that goes over its memory size. The same beat
        # drains the log pipes (idle environments too: a handler's thread may print).
        while True:
            await asyncio.sleep(self._memory_interval)
            for envs in self._functions.values():
                for env in envs.idle:
                    env.drain_logs()
                for env in list(envs.busy):
                    env.drain_logs()
                    rss = env.memory_kb()
                    env.peak_kb = max(env.peak_kb, rss)
                    if rss > env.fn.memory_mb * 1024 and not env.dead:
                        log.warning(
                            "%s: environment over its %d MB memory size, killed",
                            env.fn.name,
                            env.fn.memory_mb,
                        )
                        env.kill("memory")

    async def _reap_idle(self) -> None:
        while True:
            await asyncio.sleep(min(10.0, max(self.idle_timeout_s / 4, 0.05)))
            cutoff = time.monotonic() - self.idle_timeout_s
            for envs in self._functions.values():
                stale = [env for env in envs.idle if env.last_used < cutoff]
                for env in stale:
                    envs.idle.remove(env)
                    env.close()
