"""What the web console costs the rest of serverlite (issue 19: "no measurable cost to
the gateway benchmark when no page is open").

Three `serverlite up` of the gateway benchmark's app, side by side, loaded in
alternating rounds:

- ``no console``: ``--no-console`` (the endpoint without the console in front);
- ``console``: the default (the console mounted under ``/_console``), no page open;
- ``console, page open``: the default, with a client holding two console pages' live
  streams open (the overview's and the function's, server-sent events) for the
  whole run, as a browser tab left open would.

Each is measured on the API's gateway (``GET /hello``, the gateway benchmark's load)
and on the AWS endpoint (Lambda's ``Invoke``, which passes the console's prefix check).
Ratios are per round against ``no console``.

    python bench/console_cost_bench.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, Row, print_table, serverlite_up, stop, wait_http
from loadgen import LoadResult, run_load
from rounds import alternate, ratio, spread

TEMPLATE = ROOT / "bench" / "app_gateway" / "template.yaml"
CONNECTIONS = 8
SIDES = ("no console", "console", "console, page open")
# The endpoint wants a SigV4-shaped Authorization, as AWS does (it verifies none).
AUTHORIZATION = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/"
    "aws4_request, SignedHeaders=host, Signature=0"
}


@contextmanager
def _serverlite(*args: str) -> Iterator[tuple[int, int, str]]:
    """(gateway port, AWS endpoint port, the function's name) of a running instance."""
    with tempfile.TemporaryDirectory() as state:
        up = serverlite_up(
            TEMPLATE,
            state,
            "--api-account-rate",
            "1000000",
            "--api-account-burst",
            "1000000",
            *args,
        )
        proc, port, aws_port = up.proc, up.api_port(), up.aws_port
        try:
            wait_http(f"http://127.0.0.1:{port}/hello", proc)
            lam = boto3.client(
                "lambda",
                endpoint_url=f"http://127.0.0.1:{aws_port}",
                region_name="us-east-1",
                aws_access_key_id="bench",
                aws_secret_access_key="bench",
            )
            name = lam.list_functions()["Functions"][0]["FunctionName"]
            yield port, aws_port, name
        finally:
            stop(proc)


@contextmanager
def _open_page(aws_port: int, function: str) -> Iterator[list[int]]:
    """A page left open: two live streams read until the block ends; yields the count of
    bytes each has received (to show the streams were live)."""
    stop_event = threading.Event()
    received = [0, 0]
    paths = ("/_console/live/overview", f"/_console/live/functions/{function}")

    def read(index: int, path: str) -> None:
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{aws_port}", timeout=None) as client,
            client.stream("GET", path) as answer,
        ):
            for chunk in answer.iter_bytes():
                received[index] += len(chunk)
                if stop_event.is_set():
                    return

    threads = [
        threading.Thread(target=read, args=(i, path), daemon=True) for i, path in enumerate(paths)
    ]
    for thread in threads:
        thread.start()
    try:
        yield received
    finally:
        stop_event.set()  # each stream ends at its next event or keep-alive (2 s at most)


def _gateway(port: int, requests: int) -> Callable[[], LoadResult]:
    def once() -> LoadResult:
        return run_load(
            "127.0.0.1", port, "/hello", connections=CONNECTIONS, requests=requests, max_seconds=20
        )

    return once


def _invoke(aws_port: int, function: str, requests: int) -> Callable[[], LoadResult]:
    path = f"/2015-03-31/functions/{function}/invocations"

    def once() -> LoadResult:
        return run_load(
            "127.0.0.1",
            aws_port,
            path,
            connections=CONNECTIONS,
            requests=requests,
            max_seconds=20,
            method="POST",
            body=b"{}",
            headers=AUTHORIZATION,
        )

    return once


def mount_overhead_ns(calls: int = 200_000) -> tuple[float, float]:
    """What the console in front of the endpoint costs one endpoint request, in process:
    ns per call through ``Mount`` to a do-nothing endpoint, and straight to it (the
    best of 5 timings each, so the load on the machine hardly shows)."""
    import asyncio
    import time

    from serverlite.console.app import Mount

    async def endpoint(scope: object, receive: object, send: object) -> None:
        return None

    mounted = Mount(endpoint, endpoint)
    scope = {"type": "http", "path": "/2015-03-31/functions/f/invocations"}

    async def timed(app: Callable[..., Any]) -> float:
        started = time.perf_counter_ns()
        for _ in range(calls):
            await app(scope, None, None)
        return (time.perf_counter_ns() - started) / calls

    async def best() -> tuple[float, float]:
        through, direct = [], []
        for _ in range(5):
            through.append(await timed(mounted))
            direct.append(await timed(endpoint))
        return min(through), min(direct)

    return asyncio.run(best())


def console_rows(rounds: int, scale: float) -> list[Row]:
    requests = max(2000, int(10_000 * scale))
    with ExitStack() as stack:
        plain = stack.enter_context(_serverlite("--no-console"))
        mounted = stack.enter_context(_serverlite())
        watched = stack.enter_context(_serverlite())
        received = stack.enter_context(_open_page(watched[1], watched[2]))
        servers = dict(zip(SIDES, (plain, mounted, watched), strict=True))
        sides: dict[str, Callable[[], LoadResult]] = {}
        for side, (port, aws_port, name) in servers.items():
            sides[f"gateway: {side}"] = _gateway(port, requests)
            sides[f"invoke: {side}"] = _invoke(aws_port, name, requests // 2)
        for load in sides.values():
            load()  # warm up: environments started, connections made once
        results = alternate(rounds, sides)
        streamed = sum(received)
    rows = _rows(results, requests, streamed)
    through, direct = mount_overhead_ns()
    rows.append(
        Row(
            "console's cost per AWS endpoint request (in process)",
            f"{through - direct:.0f} ns",
            f"{direct:.0f} ns a call to a do-nothing endpoint",
            f"{through:.0f} ns through the console's Mount",
            "one prefix comparison (the gateways' servers do not pass through it)",
        )
    )
    return rows


def _rows(results: dict[str, list[LoadResult]], requests: int, streamed: int) -> list[Row]:
    rows = []
    note = f"; the open page's streams got {streamed:,} bytes"
    for kind, what in (("gateway", "GET /hello"), ("invoke", "Lambda Invoke API")):
        base = [r.rps for r in results[f"{kind}: no console"]]
        for side in SIDES[1:]:
            rps = [r.rps for r in results[f"{kind}: {side}"]]
            rows.append(
                Row(
                    f"{kind} req/s, {side}",
                    spread(rps).show(),
                    f"{spread(base).show()} --no-console",
                    f"{ratio(rps, base).show('.0%')} of --no-console",
                    f"{what}, {CONNECTIONS} keep-alive connections"
                    + (note if "page" in side else ""),
                    "no measurable cost (>= 95% of --no-console)" if side == "console" else "",
                    ratio(rps, base).median >= 0.95 if side == "console" else None,
                )
            )
    for name, runs in results.items():
        errors = sum(r.errors for r in runs)
        if errors:
            rows.append(Row(f"  errors ({name})", str(errors), "", ""))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()
    rows = console_rows(args.rounds, 0.2 if args.quick else 1.0)
    print_table(rows, f"console cost, {args.rounds} alternating rounds, load average {load[0]:.1f}")


if __name__ == "__main__":
    main()
