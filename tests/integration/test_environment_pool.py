"""The environment pool under pressure: the memory budget, waiting, reaping, the dead."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest

from serverlite.errors import TooManyRequests
from serverlite.functions.environment import Settings
from serverlite.functions.environment_process import Invocation, RunOutcome
from serverlite.functions.pool import EnvironmentPool, default_memory_budget_mb
from serverlite.functions.zygote import Zygote, Zygotes
from serverlite.template.model import FunctionSpec
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).parent.parent / "fixtures"


def spec(name: str = "Fn", memory_mb: int = 256, timeout_s: int = 3) -> FunctionSpec:
    return FunctionSpec(
        logical_id=name,
        stack_path=(),
        name=name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        handler="behaviours.handler",
        runtime="python3.11",
        code_dir=FIXTURES / "functions",
        memory_mb=memory_mb,
        timeout_s=timeout_s,
    )


def invocation(event: dict[str, Any], timeout_s: float = 3) -> Invocation:
    return Invocation(
        request_id=str(uuid.uuid4()), payload=json.dumps(event).encode(), timeout_s=timeout_s
    )


def pool_of(zygote: Zygotes, tmp_path: Path, budget_mb: int) -> EnvironmentPool:
    pool = EnvironmentPool(
        zygotes=zygote, settings=Settings(), state_dir=tmp_path, memory_budget_mb=budget_mb
    )
    pool.start()
    return pool


def pid(outcome: RunOutcome) -> int:
    assert outcome.ok, outcome.payload
    return int(json.loads(outcome.payload))


def test_the_default_budget_is_half_of_the_machine():
    total_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    assert default_memory_budget_mb() == total_mb // 2


def test_invocations_past_the_budget_wait_for_a_free_environment(zygote, tmp_path):
    fn = spec(memory_mb=256)

    async def go() -> tuple[list[int], int]:
        pool = pool_of(zygote, tmp_path, budget_mb=512)  # room for two environments
        peak = 0

        async def one() -> RunOutcome:
            nonlocal peak
            # Waits are bounded by the timeout: a generous one, as the first two wait for
            # the zygote's SDK preload on a machine other suites may be loading.
            event = {"action": "pid", "seconds": 0.02}
            outcome = await pool.run(fn, invocation(event, timeout_s=30))
            peak = max(peak, pool.live_mb)
            return outcome

        try:
            outcomes = await asyncio.gather(*(one() for _ in range(20)))
        finally:
            await pool.close()
        return [pid(o) for o in outcomes], peak

    pids, peak = asyncio.run(go())
    assert len(pids) == 20
    assert len(set(pids)) <= 2
    assert peak <= 512


def test_an_idle_environment_of_another_function_is_reaped_for_room(zygote, tmp_path):
    first, second = spec("First", 256), spec("Second", 256)

    async def go() -> tuple[tuple[int, int], tuple[int, int], int]:
        pool = pool_of(zygote, tmp_path, budget_mb=256)
        try:
            pid(await pool.run(first, invocation({"action": "pid"})))
            pid(await pool.run(second, invocation({"action": "pid"})))
            return pool.counts("First"), pool.counts("Second"), pool.live_mb
        finally:
            await pool.close()

    assert asyncio.run(go()) == ((0, 0), (1, 0), 256)


def test_a_wait_past_the_function_timeout_is_throttled_as_lambda_does(zygote, tmp_path):
    fn = spec(memory_mb=256)

    async def go() -> tuple[RunOutcome, TooManyRequests]:
        pool = pool_of(zygote, tmp_path, budget_mb=256)
        try:
            busy = asyncio.ensure_future(
                pool.run(fn, invocation({"action": "sleep", "seconds": 1}))
            )
            await asyncio.sleep(0.3)  # the one environment is busy sleeping
            with pytest.raises(TooManyRequests) as throttled:
                await pool.run(fn, invocation({"action": "pid"}, timeout_s=0.2))
            return await busy, throttled.value
        finally:
            await pool.close()

    outcome, error = asyncio.run(go())
    assert outcome.ok
    assert error.code == "TooManyRequestsException"
    assert error.fields == {"Reason": "ConcurrentInvocationLimitExceeded"}


def test_a_cancelled_waiter_gives_its_place_back(zygote, tmp_path):
    fn = spec(memory_mb=256)

    async def go() -> tuple[int, int]:
        pool = pool_of(zygote, tmp_path, budget_mb=256)
        try:
            busy = asyncio.ensure_future(
                pool.run(fn, invocation({"action": "pid", "seconds": 0.3}))
            )
            await asyncio.sleep(0.1)
            waiting = asyncio.ensure_future(pool.run(fn, invocation({"action": "pid"})))
            await asyncio.sleep(0.05)
            waiting.cancel()
            first = pid(await busy)
            second = pid(await pool.run(fn, invocation({"action": "pid"})))
            assert pool.live_mb == 256
            return first, second
        finally:
            await pool.close()

    first, second = asyncio.run(go())
    assert first == second  # the environment the cancelled waiter did not take


def test_an_environment_killed_while_idle_is_replaced_not_dispatched_to(zygote, tmp_path):
    fn = spec()

    async def go() -> tuple[int, RunOutcome]:
        pool = pool_of(zygote, tmp_path, budget_mb=1024)
        try:
            victim = pid(await pool.run(fn, invocation({"action": "pid"})))
            os.kill(victim, signal.SIGKILL)
            await asyncio.to_thread(wait_for, lambda: not Path(f"/proc/{victim}").exists(), 5.0)
            return victim, await pool.run(fn, invocation({"action": "pid"}))
        finally:
            await pool.close()

    victim, outcome = asyncio.run(go())
    assert outcome.ok, outcome.payload
    assert pid(outcome) != victim


def test_under_memory_pressure_idle_environments_go_the_longest_idle_first(zygote, tmp_path):
    functions = [spec("Oldest", 128), spec("Middle", 128), spec("Newest", 128)]
    available = {"mb": 10_000}

    async def go() -> list[tuple[int, list[int]]]:
        pool = EnvironmentPool(
            zygotes=zygote,
            settings=Settings(),
            state_dir=tmp_path,
            low_memory_mb=1_000,
            available_mb=lambda: available["mb"],
        )
        seen = []

        def relieved() -> tuple[int, list[int]]:
            """(how many went, each function's idle environments after)."""
            reaped = pool.relieve_pressure()
            return reaped, [pool.counts(fn.name)[0] for fn in functions]

        try:
            for fn in functions:  # idle from then on, in this order
                pid(await pool.run(fn, invocation({"action": "pid"})))
            seen.append(relieved())  # plenty available: nothing goes
            available["mb"] = 999  # 1 MB short: one environment's own pages cover it
            seen.append(relieved())
            assert await pool.provision(functions[2], 1) == 1
            available["mb"] = 0  # short of everything: all but the provisioned one
            seen.append(relieved())
        finally:
            await pool.close()
        return seen

    assert asyncio.run(go()) == [(0, [1, 1, 1]), (1, [0, 1, 1]), (1, [0, 0, 1])]


def test_a_zygote_whose_environments_were_all_reaped_goes_light(zygote, tmp_path):
    fn = spec("Fn", 128)

    async def go() -> tuple[bool, bool, bool]:
        pool = EnvironmentPool(
            zygotes=zygote, settings=Settings(), state_dir=tmp_path, idle_timeout_s=0.2
        )
        pool.start()
        try:
            pid(await pool.run(fn, invocation({"action": "pid"})))
            [preloaded] = zygote.all()
            ready_while_warm = await _used_until_preloaded(pool, fn, preloaded)
            for _ in range(200):  # reaped after 0.2 s idle, then the zygote unloaded
                if pool.counts("Fn") == (0, 0) and preloaded.running and not preloaded.ready:
                    break  # restarted light (not running: being restarted)
                await asyncio.sleep(0.05)
            light = not preloaded.ready and preloaded.running
            return ready_while_warm, light, await _used_until_preloaded(pool, fn, preloaded)
        finally:
            await pool.close()

    # Preloaded while its environment lived, light once it was reaped, preloaded again
    # after the next environment.
    assert asyncio.run(go()) == (True, True, True)


async def _preloaded(zygote: Zygote, seconds: float = 60) -> bool:
    """Whether the zygote has preloaded the SDK within ``seconds`` (it does so after its
    first fork, in the background; a loaded machine makes that slow)."""
    for _ in range(int(seconds / 0.05)):
        if zygote.ready:
            return True
        await asyncio.sleep(0.05)
    return False


async def _used_until_preloaded(
    pool: EnvironmentPool, fn: FunctionSpec, zygote: Zygote, seconds: float = 60
) -> bool:
    """Invoke ``fn`` until its zygote has preloaded the SDK (within ``seconds``): its
    environment stays in use meanwhile, so a short idle timeout does not reap it first."""
    for _ in range(int(seconds / 0.05)):
        pid(await pool.run(fn, invocation({"action": "pid", "seconds": 0.05}, timeout_s=30)))
        if zygote.ready:
            return True
    return False


def test_a_light_zygote_forks_its_first_environment_at_once_then_preloads(tmp_path):
    """A world's first environment does not wait for the SDK's preload: it imports what
    its handler needs itself, in its init, as on Lambda. The zygote preloads after it,
    and the environments after that are forks of the preloaded zygote."""
    zygotes = Zygotes()  # this test's own: light when it starts
    fn = spec("Fn", 128)
    botocore_loaded = invocation({"action": "loaded", "module": "botocore"}, timeout_s=30)

    async def go() -> tuple[Any, bool, Any]:
        pool = pool_of(zygotes, tmp_path, budget_mb=1024)
        try:
            first = await pool.run(fn, botocore_loaded)
            [zygote] = zygotes.all()
            preloaded = await _preloaded(zygote)
            pool.invalidate("Fn")  # the next invocation starts another environment
            later = await pool.run(fn, botocore_loaded)
            return json.loads(first.payload), preloaded, json.loads(later.payload)
        finally:
            await pool.close()

    try:
        assert asyncio.run(go()) == (False, True, True)
    finally:
        zygotes.close()


def test_waiting_for_the_function_to_become_runnable_is_not_part_of_the_timeout(zygote, tmp_path):
    """The APIs serve while provisioning (PostgreSQL) and the zygotes finish: invocations
    that arrive then wait for that without spending their timeout, then queue for room."""
    fn = spec(memory_mb=256)

    async def go() -> list[RunOutcome]:
        pool = pool_of(zygote, tmp_path, budget_mb=256)  # one environment at a time
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pool.hold(gate)
        try:
            # Each has 4 s for its wait for room once the function can run: the one cold
            # start and the two invocations ahead of the last (a loaded CI machine took
            # over 1 s for those, which a 1 s timeout refused).
            runs = [
                asyncio.ensure_future(pool.run(fn, invocation({"action": "pid"}, timeout_s=4.0)))
                for _ in range(3)
            ]
            await asyncio.sleep(4.5)  # longer than their timeout, before anything can run
            gate.set_result(None)
            return await asyncio.gather(*runs)
        finally:
            await pool.close()

    outcomes = asyncio.run(go())
    assert len({pid(o) for o in outcomes}) == 1  # one environment served all three


def test_functions_not_held_run_while_the_gate_is_pending(zygote, tmp_path):
    """Only the functions that may reach what is still provisioning wait for it (those
    given the database's secret); the others answer meanwhile."""

    async def go() -> tuple[bool, bool]:
        pool = pool_of(zygote, tmp_path, budget_mb=1024)
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        pool.hold(gate, held=lambda fn: fn.name == "Held")
        try:
            held = asyncio.ensure_future(pool.run(spec("Held", 128), invocation({})))
            free_run = pool.run(spec("Free", 128), invocation({"action": "pid"}, 30))
            free = await asyncio.wait_for(free_run, 30)  # held back too: TimeoutError
            waiting = not held.done()
            gate.set_result(None)
            return free.ok and waiting, (await held).ok
        finally:
            await pool.close()

    assert asyncio.run(go()) == (True, True)
