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
from dataclasses import dataclass
from pathlib import Path

from common import ROOT, Row, serverlite_up, start_peer, stop, wait_http
from loadgen import LoadResult, run_load
from rounds import alternate, ratio, spread

BENCH = ROOT / "bench"
CONNECTIONS = 8
WORKERS = os.cpu_count() or 1


@dataclass(frozen=True)
class Measured:
    """A round's load, and the CPU time the server's processes spent on it per request
    (microseconds; None where /proc cannot tell). On a machine other work shares, req/s
    moves with that work; the CPU a request costs moves far less."""

    load: LoadResult
    cpu_us: float | None
    own_us: float | None = None  # of that, the server's own process (serverlite: the gateway)


def _load(
    port: int, requests: int, fresh: bool = False, pid: int | None = None
) -> Callable[[], Measured]:
    def once() -> Measured:
        before = cpu_split_s(pid) if pid is not None else None
        load = run_load(
            "127.0.0.1",
            port,
            "/hello",
            connections=CONNECTIONS,
            requests=requests,
            max_seconds=20,
            fresh=fresh,
        )
        after = cpu_split_s(pid) if pid is not None else None
        if before is None or after is None or not load.requests:
            return Measured(load, None)
        per = 1e6 / load.requests
        return Measured(load, (after[0] - before[0]) * per, (after[1] - before[1]) * per)

    return once


def tree_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) of a process and its descendants so far: for serverlite,
    its own process and its environments (and zygotes); for uvicorn, its workers. Linux
    only (/proc); None elsewhere. Processes that ended take their time with them, so a
    round's figure counts the processes that live through it (servers and warm workers)."""
    split = cpu_split_s(pid)
    return None if split is None else split[0]


def cpu_split_s(pid: int) -> tuple[float, float] | None:
    """``tree_cpu_s``, and the part of it the process itself spent (all its threads)."""
    proc = Path("/proc")
    if not (proc / str(pid) / "stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += times.get(current, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == current)
    return total, times.get(pid, 0.0)


@contextmanager
def _serverlite() -> Iterator[tuple[int, int]]:
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
            yield port, proc.pid
        finally:
            stop(proc)


@contextmanager
def _process(args: list[str], cwd: Path | None = None) -> Iterator[tuple[int, int]]:
    """A server told to listen on port 0 (its arguments), until the block ends; its port
    and process id."""
    proc, port = start_peer(args, cwd)
    try:
        wait_http(f"http://127.0.0.1:{port}/hello", proc)
        yield port, proc.pid
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
        with _process([chalice, "local", "--port", "0", "--no-autoreload"], app_dir) as server:
            yield server[0]


def gateway_rows(rounds: int, scale: float) -> list[Row]:
    requests = max(2000, int(10_000 * scale))
    with ExitStack() as servers:
        ours = servers.enter_context(_serverlite())
        plain = servers.enter_context(_process(_starlette(), BENCH / "peers"))
        hop_server = [sys.executable, str(BENCH / "peers" / "hop_server.py"), "0"]
        hop = servers.enter_context(_process([*hop_server, "hop"]))
        direct = servers.enter_context(_process([*hop_server, "direct"]))
        chalice = servers.enter_context(_chalice())
        servers_by_name = {"serverlite": ours, "starlette": plain, "hop": hop, "direct": direct}
        ports = {name: port for name, (port, _) in servers_by_name.items()}
        sides = {
            name: _load(port, requests, pid=pid) for name, (port, pid) in servers_by_name.items()
        }
        if chalice is not None:
            ports["chalice"] = chalice
            sides["serverlite fresh"] = _load(ours[0], requests // 4, fresh=True)
            sides["chalice fresh"] = _load(chalice, requests // 4, fresh=True)
        for port in ports.values():
            _load(port, 400)()  # warm up: environments started, workers busy once
        measured = alternate(rounds, sides)
    return _rows(measured, requests)


def _rows(measured: dict[str, list[Measured]], requests: int) -> list[Row]:
    results = {name: [m.load for m in runs] for name, runs in measured.items()}

    def rps(name: str) -> list[float]:
        return [r.rps for r in results[name]]

    def p(name: str, q: int) -> list[float]:
        return [r.p50_ms if q == 50 else r.p99_ms for r in results[name]]

    def cpu(name: str) -> list[float]:
        return [m.cpu_us for m in measured[name] if m.cpu_us is not None]

    def own(name: str) -> list[float]:
        return [m.own_us for m in measured[name] if m.own_us is not None]

    keep_alive = f"{CONNECTIONS} keep-alive connections, {requests:,} requests per round"
    rows = [
        Row(
            "gateway req/s (REST API, trivial handler)",
            spread(rps("serverlite")).show(),
            f"{spread(rps('starlette')).show()} Starlette on uvicorn",
            f"{ratio(rps('serverlite'), rps('starlette')).show('.0%')} of Starlette",
            f"{keep_alive}; uvicorn {WORKERS} workers (one per core)",
            ">= 100% of Starlette",  # issue #22: the floor row shows it is possible
            ratio(rps("serverlite"), rps("starlette")).median >= 1.0,
        ),
        Row(
            "gateway latency p50 / p99",
            f"{spread(p('serverlite', 50)).show('.2f')} / "
            f"{spread(p('serverlite', 99)).show('.2f')} ms",
            f"{spread(p('starlette', 50)).show('.2f')} / "
            f"{spread(p('starlette', 99)).show('.2f')} ms Starlette",
            "",
            keep_alive,
            "p99 <= 2 ms",
            spread(p("serverlite", 99)).median <= 2,
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
    if cpu("serverlite") and cpu("starlette") and cpu("hop"):
        # What limits req/s on a busy machine: the CPU each request costs, all processes.
        # serverlite's own process runs the gateway (one event loop, one GIL: what caps its
        # req/s); the rest is its environments. uvicorn's own process only supervises.
        rows.append(
            Row(
                "  CPU per request (server processes, user + system)",
                f"{spread(cpu('serverlite')).show('.0f', ' us')} gateway + environments "
                f"(gateway process {spread(own('serverlite')).show('.0f', ' us')})",
                f"{spread(cpu('starlette')).show('.0f', ' us')} Starlette; "
                f"{spread(cpu('hop')).show('.0f', ' us')} floor",
                f"{ratio(cpu('serverlite'), cpu('starlette')).show('.1f', 'x')} Starlette's",
                "each server's process tree over each round (/proc), per answered request",
            )
        )
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
