"""SQS benchmarks: SQS -> Lambda throughput (batch 10, durable storage), enqueue
throughput, and p50 enqueue-to-handler latency with no batching window.

serverlite runs bench/app_sqs (a queue, and a function behind an SQS event source
mapping that appends one line per record). The peer is moto's server (in memory, not
durable) with what a developer would write against it in place of Lambda: five
threads that ReceiveMessage (10, long-polling) / call the same handler in-process /
DeleteMessageBatch, and a WaitTimeSeconds=20 long poll for latency. Both are driven
by the same boto3 client code, drain the same number of messages, in alternating
rounds (the order rotating), on loopback. moto's ReceiveMessage slows as its queue
grows, which is what bounds the message count.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    Row,
    aws_client,
    in_process_handler,
    moto_server,
    percentile,
    start_serverlite,
    stop,
)
from rounds import alternate, ratio, spread

APP = ROOT / "bench" / "app_sqs"
SENDERS = 4  # client threads sending batches of 10
PEER_POLLERS = 5  # Lambda also starts SQS mappings with five pollers
BODY_PAD = "x" * 100


def _client(port: int) -> Any:
    return aws_client("sqs", f"http://127.0.0.1:{port}", max_pool_connections=SENDERS * 2)


def serverlite_app(
    app: Path, state: Path, out: Path, enabled: bool
) -> tuple[subprocess.Popen[bytes], int]:
    """``serverlite up`` on a bench app whose handler writes to ``out`` and whose event
    source mappings are on or off (``Enabled``): so a backlog is queued with them off,
    then drained alone after a restart with them on."""
    return start_serverlite(
        app / "template.yaml", state,
        "--parameter-overrides", f"OutFile={out}",
        "--parameter-overrides", f"Enabled={'true' if enabled else 'false'}",
    )  # fmt: skip


def _enqueue(sqs: Any, url: str, count: int) -> float:
    """Send ``count`` messages in batches of 10 from SENDERS threads; messages/s."""
    body = json.dumps({"t": 0.0, "pad": BODY_PAD})
    batches = count // 10

    def send(share: int) -> None:
        entries = [{"Id": str(i), "MessageBody": body} for i in range(10)]
        for _ in range(share):
            sqs.send_message_batch(QueueUrl=url, Entries=entries)

    shares = [batches // SENDERS + (1 if i < batches % SENDERS else 0) for i in range(SENDERS)]
    threads = [threading.Thread(target=send, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return batches * 10 / (time.perf_counter() - started)


def _lines(out: Path) -> list[tuple[float, float]]:
    if not out.exists():
        return []
    return [
        (float(a), float(b)) for a, b in (line.split() for line in out.read_text().splitlines())
    ]


def _wait_lines(out: Path, count: int, seconds: float) -> list[tuple[float, float]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = _lines(out)
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise RuntimeError(f"only {len(_lines(out))} of {count} messages reached the handler")


def _drain_rate(lines: list[tuple[float, float]]) -> float:
    handled = sorted(done for _, done in lines)
    return len(handled) / max(handled[-1] - handled[0], 1e-6)


def _latencies(sqs: Any, url: str, samples: int, out: Path) -> list[float]:
    """Send one message at a time (10 ms apart); the handler notes when it saw each."""
    already = len(_lines(out))
    for _ in range(samples + 10):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"t": time.time()}))
        time.sleep(0.01)
    lines = _wait_lines(out, already + samples + 10, 30)[already + 10 :]  # 10 to warm up
    return [(done - sent) * 1000 for sent, done in lines]


def serverlite_side(count: int, samples: int) -> tuple[float, float, list[float]]:
    """One round: a durable backlog sent with the mapping off, drained after a restart."""
    with tempfile.TemporaryDirectory() as tmp:
        state, out = Path(tmp) / "state", Path(tmp) / "out.txt"
        proc, port = serverlite_app(APP, state, out, enabled=False)
        try:
            sqs = _client(port)
            enqueue = _enqueue(sqs, sqs.get_queue_url(QueueName="bench")["QueueUrl"], count)
        finally:
            stop(proc)
        proc, port = serverlite_app(APP, state, out, enabled=True)
        try:
            drain = _drain_rate(_wait_lines(out, count, 120))
            sqs = _client(port)
            latencies = _latencies(
                sqs, sqs.get_queue_url(QueueName="bench")["QueueUrl"], samples, out
            )
        finally:
            stop(proc)
    return enqueue, drain, latencies


def _poll(
    sqs: Any,
    url: str,
    handle: Callable[[dict[str, Any], Any], Any],
    done: threading.Event,
    wait: int,
) -> None:
    while not done.is_set():
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        messages = got.get("Messages", [])
        if not messages:
            continue
        handle({"Records": [{"body": m["Body"]} for m in messages]}, None)
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )


@contextmanager
def _moto() -> Iterator[int]:
    with moto_server() as url:
        yield int(url.rpartition(":")[2])


def moto_side(port: int, count: int, samples: int) -> tuple[float, float, list[float]]:
    """One round on a running moto server, with fresh queues."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.txt"
        sqs = _client(port)
        handle = in_process_handler(APP / "handler.py", "sqs_bench_handler", out)
        name = f"bench-{uuid.uuid4().hex[:8]}"
        backlog = sqs.create_queue(QueueName=name)["QueueUrl"]
        enqueue = _enqueue(sqs, backlog, count)
        done = threading.Event()
        pollers = [
            threading.Thread(target=_poll, args=(sqs, backlog, handle, done, 1))
            for _ in range(PEER_POLLERS)
        ]
        for poller in pollers:
            poller.start()
        try:
            drain = _drain_rate(_wait_lines(out, count, 300))
        finally:
            done.set()
            for poller in pollers:
                poller.join()
        live = sqs.create_queue(QueueName=f"{name}-live")["QueueUrl"]
        done = threading.Event()
        poller = threading.Thread(target=_poll, args=(sqs, live, handle, done, 20))
        poller.start()
        try:
            latencies = _latencies(sqs, live, samples, out)
        finally:
            done.set()
            sqs.send_message(QueueUrl=live, MessageBody='{"t": 0}')  # end the long poll
            poller.join()
        sqs.delete_queue(QueueUrl=backlog)
        sqs.delete_queue(QueueUrl=live)
    return enqueue, drain, latencies


def sqs_rows(rounds: int, scale: float) -> list[Row]:
    count = max(100, int(500 * scale))
    samples = max(20, int(100 * scale))
    with _moto() as port:
        results = alternate(
            rounds,
            {
                "serverlite": partial(serverlite_side, count, samples),
                "moto": partial(moto_side, port, count, samples),
            },
        )

    def of(side: str, index: int) -> list[float]:
        return [float(r[index]) for r in results[side]]  # type: ignore[arg-type]

    p50 = {side: [percentile(r[2], 50) for r in results[side]] for side in results}
    drained = f"{count:,} queued messages drained per round"
    return [
        Row(
            "SQS -> Lambda, batch 10",
            f"{spread(of('serverlite', 1)).show()} msg/s (durable)",
            f"{spread(of('moto', 1)).show()} msg/s moto server + pollers, handler in-process",
            f"{ratio(of('serverlite', 1), of('moto', 1)).show('.1f', 'x')}",
            f"{drained} on both sides; moto peer {PEER_POLLERS} boto3 pollers "
            "(ReceiveMessage 10, WaitTimeSeconds 1)",
            ">= 2,000 msg/s",
            spread(of("serverlite", 1)).median >= 2000,
        ),
        Row(
            "SQS SendMessageBatch enqueue",
            f"{spread(of('serverlite', 0)).show()} msg/s (SQLite WAL, durable)",
            f"{spread(of('moto', 0)).show()} msg/s moto server (in memory)",
            f"{ratio(of('serverlite', 0), of('moto', 0)).show('.1f', 'x')}",
            f"{count:,} messages per round, {SENDERS} client threads, 10 per batch",
        ),
        Row(
            "SQS enqueue -> handler p50, no batching window",
            spread(p50["serverlite"]).show(".2f", " ms"),
            f"{spread(p50['moto']).show('.2f', ' ms')} moto, WaitTimeSeconds=20 poller",
            f"{ratio(p50['serverlite'], p50['moto']).show('.0%')} of moto's time",
            f"{samples} messages per round, 10 ms apart",
            "<= 20 ms",
            spread(p50["serverlite"]).median <= 20,
        ),
    ]


if __name__ == "__main__":
    from common import print_table

    print_table(sqs_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "sqs")
