"""Observability's cost: the gateway and invoke path with tracing and metrics on (the
default) against the same app with both off (`--no-tracing --no-metrics`).

Both servers run bench/app_gateway (a REST API in front of a trivial handler) and get
the same load in alternating rounds; the ratio is taken per round. With tracing on,
every request records an API Gateway segment, a Lambda and a function segment, and
every invocation nine AWS/Lambda and AWS/ApiGateway datapoints (aggregated in memory).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

from common import ROOT, Row, serverlite_up, stop, wait_http
from loadgen import LoadResult, run_load
from rounds import alternate, ratio, spread

CONNECTIONS = 8
TARGET = 0.9  # with tracing and metrics on, at least 90% of the throughput without


@contextmanager
def _serverlite(*args: str) -> Iterator[int]:
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
            yield port
        finally:
            stop(proc)


def _load(port: int, requests: int) -> Callable[[], LoadResult]:
    def once() -> LoadResult:
        return run_load(
            "127.0.0.1", port, "/hello", connections=CONNECTIONS, requests=requests, max_seconds=20
        )

    return once


def observe_rows(rounds: int, scale: float) -> list[Row]:
    requests = max(2000, int(10_000 * scale))
    with ExitStack() as servers:
        on = servers.enter_context(_serverlite())
        off = servers.enter_context(_serverlite("--no-tracing", "--no-metrics"))
        sides = {"on": _load(on, requests), "off": _load(off, requests)}
        _load(on, 400)()  # warm up: environments started once on each side
        _load(off, 400)()
        results = alternate(rounds, sides)
    rps_on = [r.rps for r in results["on"]]
    rps_off = [r.rps for r in results["off"]]
    share = ratio(rps_on, rps_off)
    p50_on = [r.p50_ms for r in results["on"]]
    p50_off = [r.p50_ms for r in results["off"]]
    setup = f"{CONNECTIONS} keep-alive connections, {requests:,} requests per round"
    return [
        Row(
            "gateway + invoke req/s, tracing and metrics on vs off",
            spread(rps_on).show(),
            f"{spread(rps_off).show()} with both off",
            f"{share.show('.0%')} of off",
            setup,
            ">= 90% of off",
            met=share.median >= TARGET,
        ),
        Row(
            "  latency p50, on vs off",
            f"{spread(p50_on).show('.2f')} ms",
            f"{spread(p50_off).show('.2f')} ms with both off",
            f"{ratio(p50_on, p50_off).show('.2f', 'x')}",
            setup,
        ),
    ]
