"""Execution environments per function: reuse while warm, reap when idle, replace on change.

``EnvironmentPool.run(fn, invocation)`` takes a warm environment of the function
(or forks a new one from the zygote: a cold start), runs the invocation, and stores
its log events. Environments of an older code generation (hot reload) are never
reused; one in flight finishes first.

Live environments fit a memory budget: the sum of their functions' MemorySize stays
within ``memory_budget_mb`` (default: half of this machine's RAM). Past it, an
invocation first reaps idle environments of other functions (least recently used
first), else waits, in arrival order, for an environment of its function to come free
or for room to start one, up to the function's timeout. Lambda would scale out
instead; one machine cannot, and 1,000 concurrent requests forking 1,000 processes
(~9 GB) served everyone later than 100 environments taking turns do. An environment
found dead while idle (killed from outside) is dropped before anything is sent to it.

The machine's own memory is watched too (Linux's MemAvailable, once a second): below
``low_memory_mb`` (default a tenth of the RAM), idle environments are reaped, the one
idle longest first, until what they held privately covers the shortfall, as Lambda
reclaims idle environments whenever it needs their resources. Busy environments and
those kept for provisioned concurrency stay. A zygote left with no environment, under
pressure or once idle as long as the reaper's timeout, is restarted light: it gives
back the SDK it preloaded (about 50 MiB). A light zygote forks its next environment
at once (which imports what its handler needs itself, in its init) and then preloads
the SDK again, for the environments after it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from serverlite.deps.cache import DepCache
from serverlite.deps.worlds import World, Worlds
from serverlite.errors import TooManyRequests
from serverlite.functions.environment import Settings, spawn_spec
from serverlite.functions.environment_process import (
    INIT_TIMEOUT_S,
    TIMER_HORIZON_S,
    Environment,
    Invocation,
    LogEvent,
    RunOutcome,
)
from serverlite.functions.zygote import Zygote, Zygotes
from serverlite.template.model import FunctionSpec

log = logging.getLogger("serverlite.functions")
SWEEP_S = TIMER_HORIZON_S / 2  # how often busy environments' deadlines are looked at
PRESSURE_CHECK_S = 1.0  # how often the machine's available memory is read
# Lambda's answer when it cannot run one more concurrent invocation.
RATE_EXCEEDED = "Rate Exceeded."


def default_memory_budget_mb() -> int:
    """Half of this machine's RAM: the other half stays for serverlite itself, PostgreSQL,
    the operating system and the user's own programs. MemorySize is what a function may
    use, not what it does (a forked environment's own pages are usually tens of MB), so
    the budget is conservative; ``--memory-budget`` raises it."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 4096
    return max(128, total // (2 * 1024 * 1024))


def parse_mem_available_mb(meminfo: str) -> int | None:
    """MemAvailable from /proc/meminfo, in MB (the kernel writes kB): what can still be
    allocated without swapping, page cache it can drop included."""
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            fields = line.split()
            return int(fields[1]) // 1024 if len(fields) > 1 and fields[1].isdigit() else None
    return None


def memory_available_mb() -> int | None:
    """The machine's available memory in MB (None: not Linux, or not said)."""
    try:
        with open("/proc/meminfo") as meminfo:
            return parse_mem_available_mb(meminfo.read())
    except OSError:
        return None


def default_low_memory_mb() -> int:
    """A tenth of this machine's RAM: below it, idle environments give their memory back."""
    return default_memory_budget_mb() // 5


def pool_key(fn: FunctionSpec) -> str:
    """Environments are per function and version: a published version runs its own
    snapshot of the code, so it never shares an environment with $LATEST."""
    return fn.name if fn.version == "$LATEST" else f"{fn.name}:{fn.version}"


_NO_MODULE = re.compile(r"No module named '(?P<name>[^']+)'")


def missing_module(init_error: bytes) -> str | None:
    """The module an init's Runtime.ImportModuleError says is missing (None: another error)."""
    try:
        error = json.loads(init_error)
    except ValueError:
        return None
    if not isinstance(error, dict) or error.get("errorType") != "Runtime.ImportModuleError":
        return None
    found = _NO_MODULE.search(str(error.get("errorMessage", "")))
    return found["name"] if found else None


class LogSink(Protocol):
    def write(self, group: str, stream: str, events: Sequence[LogEvent]) -> None: ...


@dataclass
class _FunctionEnvironments:
    idle: list[Environment] = field(default_factory=list)
    busy: set[Environment] = field(default_factory=set)
    generation: int = 0


@dataclass(eq=False)
class _Waiter:
    """An invocation waiting for its function's environment or for room to start one:
    resolved with an idle environment handed over, or None (room reserved: spawn)."""

    fn: FunctionSpec
    future: asyncio.Future[Environment | None]


class EnvironmentPool:
    def __init__(
        self,
        *,
        zygotes: Zygotes,
        settings: Settings,
        state_dir: Path,
        log_sink: LogSink | None = None,
        idle_timeout_s: float = 600.0,
        memory_check_interval_s: float = 0.05,
        memory_budget_mb: int | None = None,
        init_timeout_s: float = INIT_TIMEOUT_S,
        deps_cache: DepCache | None = None,
        low_memory_mb: int | None = None,
        available_mb: Callable[[], int | None] = memory_available_mb,
    ) -> None:
        self._zygotes = zygotes
        # Each function's interpreter and sys.path (its code, dependencies, layers).
        self.worlds = Worlds(self.code_dir, deps_cache)
        self._hinted: set[tuple[str, int]] = set()
        self._settings = settings
        self._state_dir = state_dir
        self._sink = log_sink
        self.idle_timeout_s = idle_timeout_s
        self._memory_interval = memory_check_interval_s
        self._init_timeout_s = init_timeout_s
        self._functions: dict[str, _FunctionEnvironments] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._sweep: asyncio.TimerHandle | None = None
        self.memory_budget_mb = memory_budget_mb or default_memory_budget_mb()
        self.live_mb = 0  # MemorySize of every live or starting environment
        self._waiters: collections.deque[_Waiter] = collections.deque()
        self._warned_full = False
        self._floors: dict[str, int] = {}  # pool key -> provisioned environments kept
        self.low_memory_mb = low_memory_mb or default_low_memory_mb()
        self._available_mb = available_mb
        self._under_pressure = False  # said once per episode of low memory
        self._zygote_of: dict[Environment, Zygote] = {}  # each live environment's
        self._gate: asyncio.Future[object] | None = None  # see hold()
        self._held: Callable[[FunctionSpec], bool] = lambda fn: True  # see hold()
        self._preloading: set[asyncio.Future[None]] = set()  # see _preload_after

    # -- lifecycle ---------------------------------------------------------------
    def start(self) -> None:
        """Start the memory watchdog and the idle reaper (needs a running loop)."""
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._watch_memory()),
                asyncio.create_task(self._reap_idle()),
                asyncio.create_task(self._watch_pressure()),
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
        for waiter in self._waiters:
            waiter.future.cancel()
        self._waiters.clear()
        for envs in self._functions.values():
            for env in [*envs.idle, *envs.busy]:
                env.close()
            envs.idle.clear()
            envs.busy.clear()
        self._zygote_of.clear()
        self.live_mb = 0

    def hold(
        self, gate: asyncio.Future[Any], held: Callable[[FunctionSpec], bool] | None = None
    ) -> None:
        """Start no environment of the ``held`` functions (default: all) before ``gate``
        is done (what they reach is still being provisioned: an embedded PostgreSQL); if
        it failed, their spawns raise its error."""
        self._gate = gate
        self._held = held or (lambda fn: True)

    # -- public ------------------------------------------------------------------
    def _envs(self, name: str) -> _FunctionEnvironments:
        envs = self._functions.get(name)
        if envs is None:
            envs = self._functions[name] = _FunctionEnvironments()
        return envs

    async def run(self, fn: FunctionSpec, inv: Invocation) -> RunOutcome:
        envs = self._envs(pool_key(fn))
        env = self._take_idle(envs)
        cold = env is None
        if env is None:
            env, cold = await self._acquire(fn, envs, inv.timeout_s)
            if env.init_timed_out:
                # Lambda retries an init that outran its limit inside the invocation,
                # bounded by the function's timeout: one that never finishes is answered
                # "Task timed out after {timeout} seconds" (Lambda developer guide,
                # "Understanding the Lambda execution environment lifecycle").
                env.close()  # its memory stays reserved for the retry
                env = await self._spawn_reserved(fn, envs, retry_within_s=inv.timeout_s)
        envs.busy.add(env)
        if self._sweep is None:
            self._sweep = asyncio.get_running_loop().call_later(SWEEP_S, self._sweep_deadlines)
        try:
            outcome = await env.run(inv, cold)
        except BaseException:
            envs.busy.discard(env)
            self._drop(env)  # cancelled mid-invocation: the environment's state is unknown
            raise
        envs.busy.discard(env)
        if env.dead or env.init_error is not None or env.generation != envs.generation:
            self._drop(env)
        else:
            self._make_idle(envs, env)
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
        """Start one environment ahead of the first request (when the budget has room)."""
        envs = self._envs(pool_key(fn))
        if not envs.idle and not envs.busy and self._fits(fn):
            self.live_mb += fn.memory_mb
            env = await self._spawn_reserved(fn, envs)
            if env.init_timed_out:  # the first invocation retries it, as on AWS
                self._drop(env)
                return
            # Warm environments keep their init cost for the first invocation's REPORT.
            self._make_idle(envs, env)

    async def provision(self, fn: FunctionSpec, count: int) -> int:
        """Provisioned concurrency: keep ``count`` environments of ``fn`` (a version)
        initialised, started now with AWS_LAMBDA_INITIALIZATION_TYPE
        "provisioned-concurrency"; the idle reaper leaves them. Answers how many are
        ready (fewer when the memory budget has no room for more)."""
        key = pool_key(fn)
        envs = self._envs(key)
        self._floors[key] = count
        while len(envs.idle) + len(envs.busy) < count and self._fits(fn):
            self.live_mb += fn.memory_mb
            env = await self._spawn_reserved(fn, envs, init_type="provisioned-concurrency")
            if env.init_timed_out or env.init_error is not None:
                self._drop(env)
                break
            self._make_idle(envs, env)
        return min(count, len(envs.idle) + len(envs.busy))

    def unprovision(self, fn: FunctionSpec) -> None:
        """Provisioned concurrency removed: its environments become ordinary ones."""
        self._floors.pop(pool_key(fn), None)

    def prepare(self, functions: Sequence[FunctionSpec]) -> list[str]:
        """Install every function's dependencies and start the zygotes of their worlds, in
        parallel (blocking); what to tell the user. A first request then waits for
        neither, as before worlds had zygotes of their own."""
        notes = self.worlds.prepare(functions)
        shim = str(self.worlds.shim)
        zygotes = {
            id(z): z
            for z in (
                self._zygotes.get(w.interpreter.path, w.zygote_path, shim)
                for w in map(self.worlds.world, functions)
            )
        }
        with ThreadPoolExecutor(max_workers=max(1, min(4, len(zygotes)))) as starting:
            list(starting.map(lambda z: z.ensure_started(), zygotes.values()))
        return notes

    def invalidate(self, function_name: str) -> None:
        """The function's code changed: idle environments go, busy ones after they finish."""
        self.worlds.invalidate(function_name)  # its requirements.txt may have changed
        envs = self._envs(function_name)
        envs.generation += 1
        idle, envs.idle = envs.idle, []
        for env in idle:
            self._drop(env)

    def counts(self, function_name: str) -> tuple[int, int]:
        """(idle, busy) environments of a function."""
        envs = self._functions.get(function_name)
        return (len(envs.idle), len(envs.busy)) if envs else (0, 0)

    # -- the memory budget ---------------------------------------------------------
    def _take_idle(self, envs: _FunctionEnvironments) -> Environment | None:
        """The most recently used idle environment still alive (the dead are dropped)."""
        while envs.idle:
            env = envs.idle.pop()
            if not env.exited():
                return env
            log.warning("%s: an idle environment had exited; starting another", env.fn.name)
            self._drop(env, dispatch=False)
        return None

    def _fits(self, fn: FunctionSpec) -> bool:
        # With nothing live, one environment always starts: a function whose MemorySize
        # alone exceeds the budget still runs, one at a time.
        return self.live_mb + fn.memory_mb <= self.memory_budget_mb or self.live_mb == 0

    def _make_room(self, fn: FunctionSpec) -> bool:
        """Whether ``fn`` fits, reaping idle environments of other functions if that does it."""
        if self._fits(fn):
            return True
        idle = sorted(
            (
                env
                for key, envs in self._functions.items()
                if key != pool_key(fn)
                for env in envs.idle
            ),
            key=lambda env: env.last_used,
        )
        freed = 0
        needed = self.live_mb + fn.memory_mb - self.memory_budget_mb
        victims = []
        for env in idle:
            if freed >= needed:
                break
            victims.append(env)
            freed += env.fn.memory_mb
        if freed < needed:
            return False
        for env in victims:
            self._functions[pool_key(env.fn)].idle.remove(env)
            self._drop(env, dispatch=False)
        return True

    async def _acquire(
        self, fn: FunctionSpec, envs: _FunctionEnvironments, timeout_s: float
    ) -> tuple[Environment, bool]:
        """An environment for ``fn``: (env, cold). Starts one if the budget allows (no one
        waiting ahead), else waits up to the function's timeout.

        That wait starts once the function can run at all (what it reaches provisioned,
        its world's zygote started): the APIs serve while worlds still
        prepare, and on AWS a function exists once deployed, so a burst that arrives
        first would otherwise spend its timeouts waiting on serverlite's own start-up
        and be refused (1,000 requests at once: 957 answered 500 under load)."""
        await self._runnable(fn)
        if not self._waiters and self._make_room(fn):
            self.live_mb += fn.memory_mb
            return await self._spawn_reserved(fn, envs), True
        waiter = _Waiter(fn, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        if not self._warned_full:
            self._warned_full = True
            log.warning(
                "live environments fill the memory budget (%d MB); invocations wait for a "
                "free one (serverlite up --memory-budget raises it)",
                self.memory_budget_mb,
            )
        try:
            done, _ = await asyncio.wait({waiter.future}, timeout=timeout_s)
        except BaseException:
            self._abandon(waiter)
            raise
        if not done:
            self._abandon(waiter)
            # Lambda's answer when it cannot run one more invocation at once.
            raise TooManyRequests(RATE_EXCEEDED, Reason="ConcurrentInvocationLimitExceeded")
        handed = waiter.future.result()
        if handed is not None:
            return handed, False
        return await self._spawn_reserved(fn, envs), True

    def _abandon(self, waiter: _Waiter) -> None:
        """A waiter gave up (timeout, cancelled): what it was handed goes back."""
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)
        future = waiter.future
        if not future.done():
            future.cancel()
        elif not future.cancelled():
            env = future.result()
            if env is None:
                self.live_mb -= waiter.fn.memory_mb
                self._dispatch()
            else:
                self._make_idle(self._envs(pool_key(env.fn)), env)

    def _dispatch(self) -> None:
        """Serve waiters, in arrival order: an idle environment of their function, or room.

        Once one cannot get room, those after it take only idle environments of their
        own function (which need no room), so a large function is not starved.
        """
        blocked = False
        for waiter in list(self._waiters):
            if waiter.future.done():
                self._waiters.remove(waiter)
                continue
            env = self._take_idle(self._envs(pool_key(waiter.fn)))
            if env is not None:
                self._waiters.remove(waiter)
                waiter.future.set_result(env)
            elif not blocked and self._make_room(waiter.fn):
                self.live_mb += waiter.fn.memory_mb
                self._waiters.remove(waiter)
                waiter.future.set_result(None)
            else:
                blocked = True

    def _make_idle(self, envs: _FunctionEnvironments, env: Environment) -> None:
        envs.idle.append(env)
        if self._waiters:
            self._dispatch()

    def _drop(self, env: Environment, *, dispatch: bool = True) -> None:
        """Close an environment and give its memory back to the budget."""
        env.close()
        self._zygote_of.pop(env, None)
        self.live_mb -= env.fn.memory_mb
        if dispatch and self._waiters:
            self._dispatch()

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

    async def _runnable(self, fn: FunctionSpec) -> tuple[World, Zygote]:
        """Wait until environments of ``fn`` can start: the provisioning gate passed and
        its world's zygote running (raises what either raised)."""
        if self._gate is not None and self._held(fn):
            if not self._gate.done():
                await asyncio.shield(self._gate)  # one invocation cancelled leaves it running
            self._gate.result()  # raises what provisioning raised
        loop = asyncio.get_running_loop()
        worlds = self.worlds
        world = await loop.run_in_executor(None, worlds.world, fn)
        zygote = self._zygotes.get(world.interpreter.path, world.zygote_path, str(worlds.shim))
        if not zygote.running:
            await loop.run_in_executor(None, zygote.ensure_started)
        return world, zygote

    async def _spawn_reserved(
        self,
        fn: FunctionSpec,
        envs: _FunctionEnvironments,
        retry_within_s: float | None = None,
        init_type: str = "on-demand",
    ) -> Environment:
        """Start an environment whose memory is already counted (released if it fails)."""
        try:
            return await self._spawn(fn, envs.generation, retry_within_s, init_type)
        except BaseException:
            self.live_mb -= fn.memory_mb
            if self._waiters:
                self._dispatch()
            raise

    async def _spawn(
        self,
        fn: FunctionSpec,
        generation: int,
        retry_within_s: float | None = None,
        init_type: str = "on-demand",
    ) -> Environment:
        loop = asyncio.get_running_loop()
        world, zygote = await self._runnable(fn)
        worlds = self.worlds
        spec = spawn_spec(
            fn, self.code_dir(fn), self._settings, init_type, world, worlds.shim, worlds.debugpy
        )
        started = time.perf_counter()
        spawned = await loop.run_in_executor(None, zygote.spawn, spec)
        env = Environment(
            fn,
            spawned,
            spec["env"]["AWS_LAMBDA_LOG_STREAM_NAME"],
            generation,
            debugged="debug" in spec,
        )
        self._zygote_of[env] = zygote
        if retry_within_s is None:
            await env.start(started, self._init_timeout_s)
        else:
            await env.start(started, retry_within_s, retried=True)
        if env.init_error is not None:
            self._hint_missing_module(fn, env.init_error, world.requirements_file, generation)
        if spawned.light:
            self._preload_after(zygote)
        return env

    def _preload_after(self, zygote: Zygote) -> None:
        """The zygote forked its world's first environment light: it preloads the SDK now,
        once that environment's init is done (the two would share the CPU), for the
        environments after it. An invocation that needs one meanwhile waits for it."""
        preloading = asyncio.get_running_loop().run_in_executor(None, zygote.preload)
        self._preloading.add(preloading)

        def done(future: asyncio.Future[None]) -> None:
            self._preloading.discard(future)
            if not future.cancelled() and future.exception() is not None:
                # The next spawn restarts the zygote and preloads again, or says why not.
                log.warning("a zygote could not preload the SDK: %s", future.exception())

        preloading.add_done_callback(done)

    def _hint_missing_module(
        self, fn: FunctionSpec, init_error: bytes, requirements: Path, generation: int
    ) -> None:
        """An undeclared import fails as on AWS (the payload is AWS's); serverlite's log says
        where the package belongs, once per function and code generation."""
        module = missing_module(init_error)
        if module is None or (fn.name, generation) in self._hinted:
            return
        self._hinted.add((fn.name, generation))
        log.warning(
            "%s: No module named '%s': Lambda would fail the same way. Declare the package "
            "that provides it in %s (sam build installs that file with the code; serverlite "
            "installs it when it reads the file: at start, and on hot reload)",
            fn.name,
            module,
            requirements,
        )

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

    async def _watch_pressure(self) -> None:
        while True:
            await asyncio.sleep(PRESSURE_CHECK_S)
            self.relieve_pressure()
            if self._under_pressure:  # the zygotes left with no environment go light
                await self.unload_zygotes(time.monotonic())

    async def unload_zygotes(self, idle_since: float) -> int:
        """Zygotes with no live environment, that forked none since ``idle_since``, give
        their preloaded SDK back (they preload again after their next fork); how many."""
        loop = asyncio.get_running_loop()
        live = (env for envs in self._functions.values() for env in (*envs.idle, *envs.busy))
        used = {id(self._zygote_of[env]) for env in live if env in self._zygote_of}
        unloaded = 0
        for zygote in self._zygotes.all():
            if zygote.ready and id(zygote) not in used and zygote.last_fork <= idle_since:
                unloaded += await loop.run_in_executor(None, zygote.unload)
        return unloaded

    def relieve_pressure(self) -> int:
        """If the machine is short of memory, reap idle environments, the one idle longest
        first, until what they held privately covers the shortfall; how many went."""
        available = self._available_mb()
        if available is None or available >= self.low_memory_mb:
            self._under_pressure = False
            return 0
        shortfall_kb = (self.low_memory_mb - available) * 1024
        candidates = []
        for key, envs in self._functions.items():
            # Provisioned environments stay, as the idle reaper leaves them.
            keep = max(0, self._floors.get(key, 0) - len(envs.busy))
            by_age = sorted(envs.idle, key=lambda env: env.last_used)
            candidates += by_age[: max(0, len(by_age) - keep)]
        freed_kb, reaped = 0, 0
        for env in sorted(candidates, key=lambda env: env.last_used):
            if freed_kb >= shortfall_kb:
                break
            freed_kb += env.private_kb()
            self._functions[pool_key(env.fn)].idle.remove(env)
            self._drop(env)
            reaped += 1
        if reaped and not self._under_pressure:
            log.warning(
                "memory is low (%d MB available, under %d MB): reaped %d idle "
                "environment(s), the longest idle first",
                available,
                self.low_memory_mb,
                reaped,
            )
        self._under_pressure = True
        return reaped

    async def _reap_idle(self) -> None:
        while True:
            await asyncio.sleep(min(10.0, max(self.idle_timeout_s / 4, 0.05)))
            cutoff = time.monotonic() - self.idle_timeout_s
            for key, envs in self._functions.items():
                dead = [env for env in envs.idle if env.exited()]
                old = [env for env in envs.idle if env.last_used < cutoff and not env.exited()]
                # Provisioned environments stay however long they idle (the dead go).
                keep = self._floors.get(key, 0) - len(envs.busy)
                spare = max(0, len(envs.idle) - len(dead) - keep)
                for env in dead + old[:spare]:
                    envs.idle.remove(env)
                    self._drop(env)
            # As idle as their environments were: back to light.
            await self.unload_zygotes(cutoff)
