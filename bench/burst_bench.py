"""1,000 concurrent requests to one API (a 1 ms handler), each on its own connection:
all answered, how fast, and on how many environments (serverlite's default memory
budget decides how many it forks). The peer is the same handler on Starlette and
uvicorn with one worker per core. Each round starts both afresh (a burst on a cold
server is the case the budget is for), then fires one burst at each, the order
rotating."""

from __future__ import annotations

import os
import sys
import tempfile

from common import ROOT, Row, serverlite_up, start_peer, stop, wait_http
from loadgen import LoadResult, run_burst
from rounds import alternate, ratio, spread

CONCURRENCY = 1000
WORKERS = os.cpu_count() or 1


def _serverlite_burst() -> tuple[LoadResult, int]:
    with tempfile.TemporaryDirectory() as state:
        up = serverlite_up(ROOT / "bench" / "app_burst" / "template.yaml", state)
        proc, port = up.proc, up.api_port()
        try:
            wait_http(f"http://127.0.0.1:{port}/pid", proc)
            result, bodies = run_burst("127.0.0.1", port, "/pid", concurrency=CONCURRENCY)
        finally:
            stop(proc)
    return result, len({body for body in bodies if body.isdigit()})


def _starlette_burst() -> tuple[LoadResult, int]:
    proc, port = start_peer(
        [sys.executable, "-m", "uvicorn", "starlette_app:app", "--port", "0",
         "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log",
         "--backlog", "2048"],
        cwd=ROOT / "bench" / "peers",
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/pid", proc)
        result, bodies = run_burst("127.0.0.1", port, "/pid", concurrency=CONCURRENCY)
    finally:
        stop(proc)
    return result, len({body for body in bodies if body.isdigit()})


def burst_rows(rounds: int, scale: float = 1.0) -> list[Row]:
    results = alternate(rounds, {"serverlite": _serverlite_burst, "starlette": _starlette_burst})
    ours, peer = results["serverlite"], results["starlette"]

    def of(runs: list[tuple[LoadResult, int]], what: str) -> list[float]:
        return [float(getattr(r, what)) for r, _ in runs]

    def answered(runs: list[tuple[LoadResult, int]]) -> str:
        return spread([r.requests - r.errors for r, _ in runs]).show()

    return [
        Row(
            f"{CONCURRENCY:,} concurrent requests, one API (1 ms handler) p50 / p99",
            f"{spread(of(ours, 'p50_ms')).show()} / {spread(of(ours, 'p99_ms')).show()} ms; "
            f"{answered(ours)} answered 200 on {spread([n for _, n in ours]).show()} "
            "environments",
            f"{spread(of(peer, 'p50_ms')).show()} / {spread(of(peer, 'p99_ms')).show()} ms "
            f"Starlette; {answered(peer)} answered 200",
            f"p99 {ratio(of(ours, 'p99_ms'), of(peer, 'p99_ms')).show('.1f', 'x')} Starlette's",
            f"a new connection per request, all at once; started afresh each round; "
            f"serverlite's default memory budget; uvicorn {WORKERS} workers, backlog 2048",
            "p99 < 2 s",
            spread(of(ours, "p99_ms")).median < 2000,
        )
    ]
