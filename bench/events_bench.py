"""EventBridge benchmark: PutEvents ingest, EventBridge -> Lambda throughput, and p50
PutEvents-to-handler latency, on `serverlite up` and on moto's server.

What each side does, with the same events, the same handler and the same boto3 code:
- serverlite: PutEvents (batches of 10) matched against a rule and stored durably
  (SQLite WAL) before the answer; then each event is delivered to a Lambda function
  as an async invoke (one invocation per event, as EventBridge does) and the function
  appends one line per event. Throughput counts until the last line is written.
- moto's server (in memory, not durable): moto runs Lambda targets only in Docker,
  so the peer is what a developer would write against it instead: the same rule
  with an SQS queue as its target (moto delivers to SQS itself), drained by five
  boto3 pollers (ReceiveMessage 10, long-polling, as Lambda's SQS pollers) that call the same
  handler in-process once per event and delete the batch. Latency: one poller
  long-polling (WaitTimeSeconds=20).
Both servers start once; each round runs ingest, throughput and latency on each,
the order rotating every round.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    Row,
    aws_client,
    in_process_handler,
    percentile,
    serverlite_up,
    start_moto,
    stop,
)
from rounds import alternate, ratio, spread

APP = ROOT / "bench" / "app_events"
BATCH = 10
CLIENTS = 4
PEER_POLLERS = 5  # Lambda starts SQS pollers five at a time


def _client(url: str) -> Any:
    return aws_client("events", url, max_pool_connections=CLIENTS)


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


def _burst(url: str, out: Path, events: int) -> tuple[float, float]:
    """PutEvents burst until the handler has written every line: (events/s, PutEvents/s)."""
    before = len(_lines(out))
    started = time.time()
    ingest = _ingest(url, events)
    burst = events - events % (BATCH * CLIENTS) or BATCH * CLIENTS
    _wait_lines(out, before + burst)
    finished = max(handled for _, handled in _lines(out)[before:])
    return burst / (finished - started), ingest


def _latencies(ev: Any, out: Path, samples: int) -> list[float]:
    """One event at a time, each waited for, so nothing queues."""
    latencies = []
    for _ in range(samples):
        before = len(_lines(out))
        ev.put_events(Entries=_entries(1))
        _wait_lines(out, before + 1)
        sent, handled = _lines(out)[-1]
        latencies.append((handled - sent) * 1000)
    return latencies


class Serverlite:
    def __init__(self, tmp: Path) -> None:
        self.out = tmp / "handled.txt"
        up = serverlite_up(APP / "template.yaml", tmp / "state", "--parameter-overrides",
                           f"OutFile={self.out}")  # fmt: skip
        self.proc, self.url = up.proc, up.aws_url
        self.ev = _client(self.url)
        for _ in range(200 // BATCH):  # warm up: environments started, connections open
            self.ev.put_events(Entries=_entries(BATCH))
        _wait_lines(self.out, 200)

    def run(self, events: int, samples: int) -> dict[str, Any]:
        ingest = _ingest(self.url, events, source="unmatched")  # no rule: ingest alone
        throughput, delivered_ingest = _burst(self.url, self.out, events)
        latencies = _latencies(self.ev, self.out, samples)
        return {"ingest": ingest, "throughput": throughput, "put": delivered_ingest,
                "p50": percentile(latencies, 50)}  # fmt: skip

    def close(self) -> None:
        stop(self.proc)


class Moto:
    def __init__(self, tmp: Path) -> None:
        self.proc, self.url = start_moto()
        self.out = tmp / "handled.txt"
        self.handle = in_process_handler(APP / "handler.py", "events_bench_handler", self.out)
        self.sqs = _sqs_client(self.url)
        self.queue = self.sqs.create_queue(QueueName="bench-events")["QueueUrl"]
        self.ev = _client(self.url)
        self.ev.put_rule(
            Name="bench",
            EventPattern=json.dumps({"source": ["bench"], "detail-type": ["OrderPlaced"]}),
        )
        arn = "arn:aws:sqs:us-east-1:123456789012:bench-events"
        self.ev.put_targets(Rule="bench", Targets=[{"Id": "queue", "Arn": arn}])
        _ingest(self.url, 200, "unmatched")  # warm up
        with self._pollers(PEER_POLLERS, wait=0):
            self.ev.put_events(Entries=_entries(BATCH))
            _wait_lines(self.out, BATCH)

    @contextmanager
    def _pollers(self, count: int, wait: int) -> Iterator[None]:
        done = threading.Event()
        threads = [
            threading.Thread(target=self._poll, args=(done, wait), daemon=True)
            for _ in range(count)
        ]
        for thread in threads:
            thread.start()
        try:
            yield
        finally:
            done.set()
            if wait > 1:  # wake a long poll: one more event, handled like the rest
                self.ev.put_events(Entries=_entries(1))
            for thread in threads:
                thread.join(timeout=30)

    def _poll(self, done: threading.Event, wait: int) -> None:
        while not done.is_set():
            got = self.sqs.receive_message(
                QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=wait
            )
            messages = got.get("Messages", [])
            for message in messages:  # one invocation per event, as EventBridge makes
                self.handle(json.loads(message["Body"]), None)
            if messages:
                self.sqs.delete_message_batch(
                    QueueUrl=self.queue,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )

    def run(self, events: int, samples: int) -> dict[str, Any]:
        ingest = _ingest(self.url, events, source="unmatched")
        with self._pollers(PEER_POLLERS, wait=1):  # long polls, as Lambda's pollers
            throughput, delivered_ingest = _burst(self.url, self.out, events)
        with self._pollers(1, wait=20):
            latencies = _latencies(self.ev, self.out, samples)
        return {"ingest": ingest, "throughput": throughput, "put": delivered_ingest,
                "p50": percentile(latencies, 50)}  # fmt: skip

    def close(self) -> None:
        stop(self.proc)


def _sqs_client(url: str) -> Any:
    return aws_client("sqs", url, max_pool_connections=PEER_POLLERS + 2)


def events_rows(rounds: int, scale: float) -> list[Row]:
    events = max(200, int(500 * scale))
    samples = max(20, int(100 * scale))
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "ours").mkdir()
        (Path(tmp) / "moto").mkdir()
        ours, peer = Serverlite(Path(tmp) / "ours"), None
        try:
            peer = Moto(Path(tmp) / "moto")
            results = alternate(
                rounds,
                {"serverlite": partial(ours.run, events, samples),
                 "moto": partial(peer.run, events, samples)},
            )  # fmt: skip
        finally:
            ours.close()
            if peer is not None:
                peer.close()

    def of(side: str, key: str) -> list[float]:
        return [float(r[key]) for r in results[side]]

    put = f"boto3 PutEvents, {BATCH} per call, {CLIENTS} client threads"
    return [
        Row(
            "EventBridge PutEvents ingest, no rule matching",
            f"{spread(of('serverlite', 'ingest')).show()} events/s (durable)",
            f"{spread(of('moto', 'ingest')).show()} events/s moto server (in memory)",
            f"{ratio(of('serverlite', 'ingest'), of('moto', 'ingest')).show('.1f', 'x')}",
            f"{events:,} events per round; {put}",
        ),
        Row(
            "EventBridge -> Lambda throughput (one invocation per event)",
            f"{spread(of('serverlite', 'throughput')).show()} events/s",
            f"{spread(of('moto', 'throughput')).show()} events/s moto: rule -> SQS target "
            "-> pollers -> same handler in-process",
            f"{ratio(of('serverlite', 'throughput'), of('moto', 'throughput')).show('.1f', 'x')}",
            f"{events:,} events per round, until the handler saw the last; {put}; "
            f"moto peer {PEER_POLLERS} boto3 pollers (ReceiveMessage 10, WaitTimeSeconds 1)",
        ),
        Row(
            "EventBridge -> Lambda p50 PutEvents-to-handler",
            spread(of("serverlite", "p50")).show(".1f", " ms"),
            f"{spread(of('moto', 'p50')).show('.1f', ' ms')} moto, long-polling SQS poller",
            f"{ratio(of('serverlite', 'p50'), of('moto', 'p50')).show('.0%')} of moto's time",
            f"{samples} events per round, one at a time",
            "p50 <= 20 ms",
            spread(of("serverlite", "p50")).median <= 20,
        ),
    ]


if __name__ == "__main__":
    from common import print_table

    print_table(events_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "events")
