"""EventBridge benchmark: PutEvents ingest, EventBridge -> Lambda throughput, and p50
PutEvents-to-handler latency, on `serverlite up`; moto's server as the ingest peer.

What each side measures:
- serverlite: PutEvents (batches of 10, boto3) matched against a rule and stored
  durably (SQLite WAL) before the answer; then each event is delivered to a Lambda
  function as an async invoke (one invocation per event, as EventBridge does) and the
  function appends one line per event. Throughput counts until the last line is written.
- moto's server: PutEvents accepted in memory with no rules (moto cannot run the
  Lambda target without Docker), so it is a peer for the ingest side only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from common import ROOT, Row, free_port, percentile, stop, wait_http

APP = ROOT / "bench" / "app_events"
BATCH = 10
CLIENTS = 4


def _client(url: str) -> Any:
    return boto3.client(
        "events",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, max_pool_connections=CLIENTS),
    )


def _entries(count: int, source: str = "bench") -> list[dict[str, str]]:
    return [
        {"Source": source, "DetailType": "OrderPlaced", "Detail": json.dumps({"t": time.time()})}
        for _ in range(count)
    ]


def _ingest(url: str, events: int, source: str = "bench") -> float:
    """PutEvents from CLIENTS threads, batches of BATCH: events accepted per second."""
    clients = [_client(url) for _ in range(CLIENTS)]
    per_client = max(1, events // (BATCH * CLIENTS))

    def send(ev: Any) -> None:
        for _ in range(per_client):
            result = ev.put_events(Entries=_entries(BATCH, source))
            assert result["FailedEntryCount"] == 0, result

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_client * BATCH * CLIENTS / (time.perf_counter() - started)


def _lines(path: Path) -> list[tuple[float, float]]:
    if not path.exists():
        return []
    return [
        (float(sent), float(handled))
        for sent, handled in (line.split() for line in path.read_text().splitlines() if line)
    ]


def _wait_lines(path: Path, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(_lines(path)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(_lines(path))} of {count} events reached the function")
        time.sleep(0.005)


def serverlite_numbers(events: int, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "handled.txt"
        port = free_port()
        log = open(Path(tmp) / "serverlite.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "serverlite.cli", "up", "-t", str(APP / "template.yaml"),
             "--state-dir", str(Path(tmp) / "state"), "--aws-port", str(port), "--no-reload",
             "--warm", "--parameter-overrides", f"OutFile={out}"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            wait_http(f"{url}/_serverlite/health", proc)
            ev = _client(url)
            warm = 200  # environments started, connections open
            for _ in range(warm // BATCH):
                ev.put_events(Entries=_entries(BATCH))
            _wait_lines(out, warm)
            ingest = _ingest(url, events, source="unmatched")  # no rule: ingest alone
            # latency: one event at a time, each waited for, so nothing queues
            latencies = []
            for i in range(samples):
                ev.put_events(Entries=_entries(1))
                _wait_lines(out, warm + i + 1)
                sent, handled = _lines(out)[-1]
                latencies.append((handled - sent) * 1000)
            # throughput: a burst of PutEvents, until the function has handled them all
            before = len(_lines(out))
            started = time.time()
            delivered_ingest = _ingest(url, events)
            burst = events - events % (BATCH * CLIENTS) or BATCH * CLIENTS
            _wait_lines(out, before + burst)
            finished = max(handled for _, handled in _lines(out)[before:])
            return {
                "ingest": ingest,
                "delivered_ingest": delivered_ingest,
                "throughput": burst / (finished - started),
                "p50": percentile(latencies, 50),
                "p99": percentile(latencies, 99),
            }
        finally:
            stop(proc)
            log.close()


def moto_ingest(events: int) -> float:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_CALL_RESET_API": "false"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/", proc)
        url = f"http://127.0.0.1:{port}"
        _ingest(url, 200, "unmatched")  # warm up
        return _ingest(url, events, "unmatched")
    finally:
        stop(proc)


def events_rows(scale: float) -> list[Row]:
    events = max(400, int(4000 * scale))
    ours = serverlite_numbers(events, samples=max(50, int(300 * scale)))
    peer = moto_ingest(events)
    return [
        Row(
            f"EventBridge PutEvents ingest ({BATCH}/call, {CLIENTS} clients, boto3, no rule)",
            f"{ours['ingest']:,.0f} events/s (checked, matched to no rule)",
            f"{peer:,.0f} events/s (moto server, in memory)",
            f"{ours['ingest'] / peer:.1f}x",
        ),
        Row(
            "EventBridge -> Lambda throughput (one async invoke per event)",
            f"{ours['throughput']:,.0f} events/s (PutEvents {ours['delivered_ingest']:,.0f}/s)",
            "- (moto runs Lambda targets only in Docker)",
            "",
        ),
        Row(
            "EventBridge -> Lambda p50 PutEvents-to-handler",
            f"{ours['p50']:.1f} ms (p99 {ours['p99']:.1f} ms)",
            "-",
            "",
            "p50 <= 20 ms",
        ),
    ]


if __name__ == "__main__":
    from common import print_table

    print_table(events_rows(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0))
