"""Gateway benchmark: a trivial handler behind serverlite's REST API, plain Starlette on
uvicorn, and `chalice local`, each under the same 8-connection load in the same run; plus
the floor any process-per-environment design stands on (bench/peers/hop_server.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import ROOT, Row, free_port, serverlite_up, stop, wait_http
from loadgen import LoadResult, run_load

BENCH = ROOT / "bench"


def _measure(port: int, requests: int) -> LoadResult:
    run_load("127.0.0.1", port, "/hello", requests=400, max_seconds=5)  # warm up
    return run_load("127.0.0.1", port, "/hello", requests=requests, max_seconds=20)


def serverlite_gateway(requests: int) -> LoadResult:
    port, aws_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as state:
        proc, _output = serverlite_up(
            BENCH / "app_gateway" / "template.yaml",
            state,
            port,
            aws_port,
            # API Gateway's account quota (10,000 requests/s) would cap the run: raised,
            # as AWS raises it on request, since this measures the gateway, not the quota.
            "--api-account-rate",
            "1000000",
            "--api-account-burst",
            "1000000",
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/hello", proc)
            return _measure(port, requests)
        finally:
            stop(proc)


def starlette(requests: int) -> LoadResult:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "starlette_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=BENCH / "peers",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/hello", proc)
        return _measure(port, requests)
    finally:
        stop(proc)


def hop_floor(requests: int, mode: str) -> LoadResult:
    """bench/peers/hop_server.py: a bare server answering directly or after one hop."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(BENCH / "peers" / "hop_server.py"), str(port), mode],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/hello", proc)
        return _measure(port, requests)
    finally:
        stop(proc)


def chalice_local(requests: int) -> LoadResult | None:
    chalice = shutil.which("chalice", path=os.path.dirname(sys.executable))
    if chalice is None:
        return None
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        app_dir = Path(tmp) / "app"
        shutil.copytree(BENCH / "peers" / "chalice_app", app_dir)
        proc = subprocess.Popen(
            [chalice, "local", "--port", str(port), "--no-autoreload"],
            cwd=app_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/hello", proc)
            return _measure(port, max(200, requests // 10))
        finally:
            stop(proc)


def gateway_rows(requests: int) -> list[Row]:
    ours = serverlite_gateway(requests)
    plain = starlette(requests)
    chalice = chalice_local(requests)
    rows = [
        Row(
            "gateway req/s, 8 connections (trivial handler)",
            f"{ours.rps:,.0f}",
            f"{plain.rps:,.0f} Starlette+uvicorn",
            f"{ours.rps / plain.rps:.0%} of Starlette",
            ">= 50% of Starlette",
        ),
        Row(
            "gateway latency p50 / p99",
            f"{ours.p50_ms:.2f} / {ours.p99_ms:.2f} ms",
            f"{plain.p50_ms:.2f} / {plain.p99_ms:.2f} ms Starlette",
            "",
            "p99 < 10 ms",
        ),
    ]
    if chalice is not None:
        rows.append(
            Row(
                "gateway req/s vs chalice local",
                f"{ours.rps:,.0f}",
                f"{chalice.rps:,.0f} chalice local",
                f"{ours.rps / chalice.rps:.1f}x",
                ">= 10x chalice local",
            )
        )
    else:
        rows.append(
            Row(
                "gateway req/s vs chalice local",
                f"{ours.rps:,.0f}",
                "chalice not installed",
                "-",
                ">= 10x chalice local",
            )
        )
    # The floor: what one hop to a worker process costs a server that does nothing else.
    direct, hop = hop_floor(requests, "direct"), hop_floor(requests, "hop")
    rows.append(
        Row(
            "  floor: bare uvloop server, one hop to a forked worker per request",
            f"{hop.rps:,.0f} (serverlite: {ours.rps / hop.rps:.0%} of it)",
            f"{direct.rps:,.0f} answering without the hop",
            f"{hop.rps / plain.rps:.0%} of Starlette",
            "",
        )
    )
    for name, result in (("serverlite", ours), ("starlette", plain), ("chalice", chalice)):
        if result is not None and result.errors:
            rows.append(Row(f"  errors ({name})", str(result.errors), "", "", ""))
    return rows
