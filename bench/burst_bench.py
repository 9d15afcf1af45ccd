"""1,000 concurrent requests to one API (a 1 ms handler), with serverlite's default
memory budget: all answered, how fast, and on how many environments."""

from __future__ import annotations

import tempfile

from common import ROOT, Row, free_port, serverlite_up, stop, wait_http
from loadgen import run_burst

CONCURRENCY = 1000


def burst_rows(scale: float = 1.0) -> list[Row]:
    port, aws_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as state:
        proc, _output = serverlite_up(
            ROOT / "bench" / "app_burst" / "template.yaml", state, port, aws_port
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/pid", proc)
            result, bodies = run_burst("127.0.0.1", port, "/pid", concurrency=CONCURRENCY)
        finally:
            stop(proc)
    environments = len({body for body in bodies if body.isdigit()})
    return [
        Row(
            f"{CONCURRENCY:,} concurrent requests, one API (1 ms handler) p50 / p99",
            f"{result.p50_ms:,.0f} / {result.p99_ms:,.0f} ms",
            f"{result.requests - result.errors:,} of {CONCURRENCY:,} answered 200",
            f"{environments} environments (default budget)",
            "p99 < 2 s",
        )
    ]
