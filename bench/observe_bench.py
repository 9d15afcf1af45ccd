"""Observability's cost: the gateway and the Lambda Invoke API with tracing and metrics
on (the default) against the same app with both off (`--no-tracing --no-metrics`).

Both servers run bench/app_gateway (a REST API in front of a trivial handler) and get
the same load in alternating rounds; the ratio is taken per round. With tracing on,
every request records an API Gateway segment, a Lambda and a function segment, and
every invocation nine AWS/Lambda and AWS/ApiGateway datapoints (aggregated in memory).

Besides throughput, each round reads the serving process's own CPU time (all its
threads, from /proc/<pid>/stat; the functions run in other processes) per request:
on a loaded machine that figure moves far less than requests per second do, and it is
what tracing and metrics add.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

from common import ROOT, Row, serverlite_up, stop, wait_http
from loadgen import LoadResult, run_load
from rounds import alternate, ratio, spread

CONNECTIONS = 8
TARGET = 0.9  # with tracing and metrics on, at least 90% of the throughput without
INVOKE_PATH = "/2015-03-31/functions/HelloFunction/invocations"
# The endpoint wants a SigV4-shaped Authorization, as AWS does (it verifies none).
INVOKE_HEADERS = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/"
    "aws4_request, SignedHeaders=host, Signature=0"
}
INVOKE_BODY = json.dumps({"path": "/hello"}).encode()
_TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    port: int  # the API
    aws_port: int  # the AWS endpoint (Lambda Invoke API)
    pid: int


@dataclass(frozen=True)
class Measured:
    load: LoadResult
    cpu_us: float  # the serving process's CPU time per request


def _cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of ``pid`` (not its children)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / _TICK


@contextmanager
def _serverlite(*args: str) -> Iterator[Server]:
    with tempfile.TemporaryDirectory() as state:
        up = serverlite_up(
            ROOT / "bench" / "app_gateway" / "template.yaml",
            state,
            "--api-account-rate",
            "1000000",
            "--api-account-burst",
            "1000000",
            "--xray-port",
            "0",
            *args,
        )
        proc, port = up.proc, up.api_port()
        try:
            wait_http(f"http://127.0.0.1:{port}/hello", proc)
            yield Server(port, up.aws_port, proc.pid)
        finally:
            stop(proc)


def _gateway(server: Server, requests: int) -> Callable[[], Measured]:
    def once() -> Measured:
        before = _cpu_seconds(server.pid)
        load = run_load(
            "127.0.0.1",
            server.port,
            "/hello",
            connections=CONNECTIONS,
            requests=requests,
            max_seconds=20,
        )
        return Measured(load, (_cpu_seconds(server.pid) - before) * 1e6 / max(load.requests, 1))

    return once


def _invoke(server: Server, requests: int) -> Callable[[], Measured]:
    def once() -> Measured:
        before = _cpu_seconds(server.pid)
        load = run_load(
            "127.0.0.1",
            server.aws_port,
            INVOKE_PATH,
            connections=CONNECTIONS,
            requests=requests,
            max_seconds=20,
            method="POST",
            body=INVOKE_BODY,
            headers=INVOKE_HEADERS,
        )
        return Measured(load, (_cpu_seconds(server.pid) - before) * 1e6 / max(load.requests, 1))

    return once


def _rows(what: str, results: dict[str, list[Measured]], setup: str) -> list[Row]:
    rps_on = [m.load.rps for m in results["on"]]
    rps_off = [m.load.rps for m in results["off"]]
    share = ratio(rps_on, rps_off)
    cpu_on = [m.cpu_us for m in results["on"]]
    cpu_off = [m.cpu_us for m in results["off"]]
    p50_on = [m.load.p50_ms for m in results["on"]]
    p50_off = [m.load.p50_ms for m in results["off"]]
    return [
        Row(
            f"{what} req/s, tracing and metrics on vs off",
            spread(rps_on).show(),
            f"{spread(rps_off).show()} with both off",
            f"{share.show('.0%')} of off",
            setup,
            ">= 90% of off",
            met=share.median >= TARGET,
        ),
        Row(
            f"  {what}: server CPU per request, on vs off",
            f"{spread(cpu_on).show('.0f')} µs",
            f"{spread(cpu_off).show('.0f')} µs with both off",
            f"{ratio(cpu_on, cpu_off).show('.2f', 'x')}",
            "utime+stime of the serving process (/proc), not the functions'",
            "<= 1.11x",
            met=ratio(cpu_on, cpu_off).median <= 1 / TARGET,
        ),
        Row(
            f"  {what}: latency p50, on vs off",
            f"{spread(p50_on).show('.2f')} ms",
            f"{spread(p50_off).show('.2f')} ms with both off",
            f"{ratio(p50_on, p50_off).show('.2f', 'x')}",
            setup,
        ),
    ]


def observe_rows(rounds: int, scale: float) -> list[Row]:
    requests = max(2000, int(10_000 * scale))
    with ExitStack() as servers:
        on = servers.enter_context(_serverlite())
        off = servers.enter_context(_serverlite("--no-tracing", "--no-metrics"))
        _gateway(on, 400)()  # warm up: environments started once on each side
        _gateway(off, 400)()
        gateway = alternate(rounds, {"on": _gateway(on, requests), "off": _gateway(off, requests)})
        _invoke(on, 400)()
        _invoke(off, 400)()
        invoke = alternate(rounds, {"on": _invoke(on, requests), "off": _invoke(off, requests)})
    setup = f"{CONNECTIONS} keep-alive connections, {requests:,} requests per round"
    return [
        *_rows("gateway + invoke", gateway, setup),
        *_rows("Lambda Invoke API", invoke, setup),
    ]
