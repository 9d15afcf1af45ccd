"""Gateway benchmark: a trivial handler behind serverlite's REST API, against plain
Starlette on uvicorn (one worker per core) and `chalice local`, plus the floor any
process-per-environment design stands on (bench/peers/hop_server.py).

Every server is started once; each round runs the same load on each in turn (the
order rotating). Starlette, serverlite and the floor get 8 keep-alive connections.

`chalice local` is measured with a new connection per request, and serverlite with
the same client in that row. Why: chalice's server (http.server) writes a response
in more than one send; on a keep-alive connection Nagle's algorithm holds the last
piece until the client's delayed ACK (~40 ms), so keep-alive would measure that
stall (~22 req/s per connection), not chalice. A new connection is ACKed at once
(Linux quick-ACKs a connection's first segments): chalice then answers in under a
millisecond. (TCP_NODELAY on the client does not help; on chalice's listening
socket it would, but that means patching chalice.)
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from common import ROOT, Row, serverlite_up, start_peer, stop, wait_http
from loadgen import LoadResult, run_load
from rounds import alternate, ratio, spread

BENCH = ROOT / "bench"
CONNECTIONS = 8
WORKERS = os.cpu_count() or 1


def _load(port: int, requests: int, fresh: bool = False) -> Callable[[], LoadResult]:
    def once() -> LoadResult:
        return run_load(
            "127.0.0.1",
            port,
            "/hello",
            connections=CONNECTIONS,
            requests=requests,
            max_seconds=20,
            fresh=fresh,
        )

    return once


@contextmanager
def _serverlite() -> Iterator[int]:
    with tempfile.TemporaryDirectory() as state:
        up = serverlite_up(
            BENCH / "app_gateway" / "template.yaml",
            state,
            # API Gateway's account quota (10,000 requests/s) would cap the run: raised,
            # as AWS raises it on request, since this measures the gateway, not the quota.
            "--api-account-rate",
            "1000000",
            "--api-account-burst",
            "1000000",
        )
        proc, port = up.proc, up.api_port()
        try:
            wait_http(f"http://127.0.0.1:{port}/hello", proc)
            yield port
        finally:
            stop(proc)


@contextmanager
def _process(args: list[str], cwd: Path | None = None) -> Iterator[int]:
    """A server told to listen on port 0 (its arguments), until the block ends; its port."""
    proc, port = start_peer(args, cwd)
    try:
        wait_http(f"http://127.0.0.1:{port}/hello", proc)
        yield port
    finally:
        stop(proc)


def _starlette() -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", "starlette_app:app", "--port", "0",
        "--workers", str(WORKERS), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


@contextmanager
def _chalice() -> Iterator[int | None]:
    chalice = shutil.which("chalice", path=os.path.dirname(sys.executable))
    if chalice is None:
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        app_dir = Path(tmp) / "app"
        shutil.copytree(BENCH / "peers" / "chalice_app", app_dir)
        with _process([chalice, "local", "--port", "0", "--no-autoreload"], app_dir) as port:
            yield port


def gateway_rows(rounds: int, scale: float) -> list[Row]:
    requests = max(2000, int(10_000 * scale))
    with ExitStack() as servers:
        ours = servers.enter_context(_serverlite())
        plain = servers.enter_context(_process(_starlette(), BENCH / "peers"))
        hop_server = [sys.executable, str(BENCH / "peers" / "hop_server.py"), "0"]
        hop = servers.enter_context(_process([*hop_server, "hop"]))
        direct = servers.enter_context(_process([*hop_server, "direct"]))
        chalice = servers.enter_context(_chalice())
        ports = {"serverlite": ours, "starlette": plain, "hop": hop, "direct": direct}
        sides = {name: _load(port, requests) for name, port in ports.items()}
        if chalice is not None:
            ports["chalice"] = chalice
            sides["serverlite fresh"] = _load(ours, requests // 4, fresh=True)
            sides["chalice fresh"] = _load(chalice, requests // 4, fresh=True)
        for port in ports.values():
            _load(port, 400)()  # warm up: environments started, workers busy once
        results = alternate(rounds, sides)
    return _rows(results, requests)


def _rows(results: dict[str, list[LoadResult]], requests: int) -> list[Row]:
    def rps(name: str) -> list[float]:
        return [r.rps for r in results[name]]

    def p(name: str, q: int) -> list[float]:
        return [r.p50_ms if q == 50 else r.p99_ms for r in results[name]]

    keep_alive = f"{CONNECTIONS} keep-alive connections, {requests:,} requests per round"
    rows = [
        Row(
            "gateway req/s (REST API, trivial handler)",
            spread(rps("serverlite")).show(),
            f"{spread(rps('starlette')).show()} Starlette on uvicorn",
            f"{ratio(rps('serverlite'), rps('starlette')).show('.0%')} of Starlette",
            f"{keep_alive}; uvicorn {WORKERS} workers (one per core)",
            ">= 50% of Starlette",
            ratio(rps("serverlite"), rps("starlette")).median >= 0.5,
        ),
        Row(
            "gateway latency p50 / p99",
            f"{spread(p('serverlite', 50)).show('.2f')} / "
            f"{spread(p('serverlite', 99)).show('.2f')} ms",
            f"{spread(p('starlette', 50)).show('.2f')} / "
            f"{spread(p('starlette', 99)).show('.2f')} ms Starlette",
            "",
            keep_alive,
            "p99 < 10 ms",
            spread(p("serverlite", 99)).median < 10,
        ),
        Row(
            "  floor: bare uvloop server, one hop to a forked worker per request",
            f"{spread(rps('hop')).show()} (serverlite: "
            f"{ratio(rps('serverlite'), rps('hop')).show('.0%')} of it)",
            f"{spread(rps('direct')).show()} answering without the hop",
            f"{ratio(rps('hop'), rps('starlette')).show('.0%')} of Starlette",
            f"{keep_alive}; 8 forked workers",
        ),
    ]
    if "chalice fresh" in results:
        rows.append(
            Row(
                "gateway req/s vs `chalice local`, a new connection per request",
                spread(rps("serverlite fresh")).show(),
                f"{spread(rps('chalice fresh')).show()} chalice local",
                f"{ratio(rps('serverlite fresh'), rps('chalice fresh')).show('.1f', 'x')}",
                f"{CONNECTIONS} clients, each request on a new connection, "
                f"{requests // 4:,} requests per round (keep-alive stalls chalice ~40 ms "
                "per request: see bench/gateway_bench.py)",
            )
        )
    else:
        rows.append(Row("gateway req/s vs `chalice local`", "-", "chalice not installed", "-"))
    for name, runs in results.items():
        errors = sum(r.errors for r in runs)
        if errors:
            rows.append(Row(f"  errors ({name})", str(errors), "", ""))
    return rows
