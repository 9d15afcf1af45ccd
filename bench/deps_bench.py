"""Dependencies (issue 15): the dependency step of a first `up` (every requirement set
installed) vs the same step on a warm cache, and a cold start on each Python runtime
this machine has."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from common import ROOT, Row, percentile
from lambda_bench import _bench_function
from rounds import alternate, ratio, spread
from serverlite.deps import interpreters
from serverlite.deps.cache import DepCache, Need
from serverlite.deps.worlds import Worlds, needs, plan
from serverlite.functions.environment import Settings
from serverlite.functions.environment_process import Invocation
from serverlite.functions.import_check import code_dir_of
from serverlite.functions.pool import EnvironmentPool
from serverlite.functions.zygote import Zygotes
from serverlite.template import load_application

TEMPLATE = ROOT / "template.yaml"  # the reference system: every shipped service
RUNTIMES = ("python3.11", "python3.12", "python3.13")


def _install_seconds(cache: Path) -> float:
    """Seconds for the dependency step of `up` on the root template (every shipped
    function's world: its requirement sets installed, or found, in ``cache``)."""
    app = load_application(TEMPLATE)
    started = time.perf_counter()
    Worlds(code_dir_of, DepCache(cache), progress=lambda _line: None).prepare(app.functions)
    return time.perf_counter() - started


def first_up(rounds: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as scratch:
        warm = Path(scratch) / "warm"
        _install_seconds(warm)  # fills the warm cache once
        counter = iter(range(rounds))
        results = alternate(
            rounds,
            {
                "cold": lambda: _install_seconds(Path(scratch) / f"cold{next(counter)}"),
                "warm": lambda: _install_seconds(warm),
            },
        )
    ours, peer = results["cold"], results["warm"]
    sets = len({need.rset.key for need in _needs()})
    return [
        Row(
            f"first `up`'s dependency step, reference system ({sets} requirement sets)",
            f"{spread(ours).show('.2f', ' s')} empty serverlite cache",
            f"{spread(peer).show('.3f', ' s')} warm cache",
            f"{ratio(ours, peer).show('.0f', 'x')} the warm step",
            "root template.yaml, every set installed by uv in parallel (4 at once); uv's "
            "download cache warm, as on any machine that fetched these packages once",
            "",
        )
    ]


def _needs() -> list[Need]:
    app = load_application(TEMPLATE)
    return needs(plan(fn, fn.code_dir) for fn in app.functions)


def _cold_starts(runtime: str, rounds: int, iterations: int) -> list[float]:
    fn = replace(_bench_function(), runtime=runtime)
    results: list[float] = []

    async def go() -> None:
        zygotes = Zygotes()
        with tempfile.TemporaryDirectory() as state:
            pool = EnvironmentPool(zygotes=zygotes, settings=Settings(), state_dir=Path(state))
            try:
                await pool.run(fn, Invocation(str(uuid.uuid4()), b"{}", 10))  # zygote up
                for _ in range(rounds):
                    samples = []
                    for _ in range(iterations):
                        pool.invalidate(fn.name)
                        started = time.perf_counter()
                        outcome = await pool.run(fn, Invocation(str(uuid.uuid4()), b"{}", 10))
                        samples.append((time.perf_counter() - started) * 1000)
                        assert outcome.ok, outcome.payload
                    results.append(percentile(samples, 50))
            finally:
                await pool.close()
                zygotes.close()

    asyncio.run(go())
    return results


def cold_start_per_runtime(rounds: int, iterations: int) -> list[Row]:
    rows = []
    for runtime in RUNTIMES:
        found = interpreters.find(runtime)
        if found is None:
            rows.append(Row(f"cold start p50, {runtime}", "not on this machine", "", "", "", ""))
            continue
        samples = _cold_starts(runtime, rounds, iterations)
        rows.append(
            Row(
                f"cold start p50, {runtime} (handler imports boto3, makes a client)",
                f"{spread(samples).show('.1f', ' ms')} zygote fork on {found.path}",
                "",
                "",
                f"{iterations} cold starts per round, one at a time",
                "<= 50 ms",
                spread(samples).median <= 50,
            )
        )
    return rows


def deps_rows(rounds: int, scale: float) -> list[Row]:
    return [
        *first_up(rounds),
        *cold_start_per_runtime(rounds, iterations=max(5, int(20 * scale))),
    ]
