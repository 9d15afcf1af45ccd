"""Streams benchmarks: Kinesis -> Lambda records/s (BatchSize 500, two shards, order
per partition key verified), and the p50 of a DynamoDB write reaching a function
through the table's stream.

serverlite runs bench/app_streams (a Kinesis stream of two shards and a table with a
stream, each behind a function's event source mapping). The backlog is put with the
mappings off and drained after a restart, so the drain is measured alone. The peer
is moto's server (in memory, not durable) with what a developer would write against
it in place of Lambda: a thread per shard that GetRecords (500) and calls the same
handler in-process. moto has no DynamoDB stream -> Lambda path to compare with, so
the latency row has no peer.
"""

from __future__ import annotations

import base64
import json
import tempfile
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from common import ROOT, Row, aws_client, in_process_handler, percentile, stop
from rounds import alternate, ratio, spread
from sqs_bench import _moto, serverlite_app

APP = ROOT / "bench" / "app_streams"
SENDERS = 4
KEYS = 50
PER_PUT = 500


def _client(service: str, port: int) -> Any:
    return aws_client(service, f"http://127.0.0.1:{port}", max_pool_connections=SENDERS * 2)


def _put(kinesis: Any, stream: str, count: int, senders: int = SENDERS) -> None:
    """``count`` records, PER_PUT per PutRecords, from SENDERS threads. Each thread owns
    its partition keys and puts them in order, so each key's order is known."""

    def send(thread: int) -> None:
        mine = [n for n in range(count) if n % KEYS % senders == thread]
        for start in range(0, len(mine), PER_PUT):
            kinesis.put_records(
                StreamName=stream,
                Records=[
                    {"Data": json.dumps({"n": n}).encode(), "PartitionKey": f"key-{n % KEYS}"}
                    for n in mine[start : start + PER_PUT]
                ],
            )

    threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _lines(out: Path, kind: str) -> list[list[str]]:
    if not out.exists():
        return []
    return [line.split() for line in out.read_text().splitlines() if line.startswith(kind)]


def _wait(out: Path, kind: str, count: int, seconds: float) -> list[list[str]]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = _lines(out, kind)
        if len(lines) >= count:
            return lines
        time.sleep(0.05)
    raise RuntimeError(f"only {len(_lines(out, kind))} of {count} records reached the handler")


def _drain(lines: list[list[str]], count: int) -> float:
    """Records/s, after checking each key's records came in the order they were put."""
    seen: dict[str, int] = {}
    for _, key, n, _ in lines:
        if int(n) <= seen.get(key, -1):
            raise RuntimeError(f"record {n} of {key} came after {seen[key]}: out of order")
        seen[key] = int(n)
    if len({int(n) for _, _, n, _ in lines}) != count:
        raise RuntimeError("records are missing")
    handled = sorted(float(line[3]) for line in lines)
    return len(handled) / max(handled[-1] - handled[0], 1e-6)


def _table_latency(port: int, samples: int, out: Path) -> list[float]:
    ddb = _client("dynamodb", port)
    already = len(_lines(out, "d"))
    for i in range(samples + 10):
        ddb.put_item(
            TableName="bench", Item={"id": {"S": f"item-{i}"}, "t": {"N": repr(time.time())}}
        )
        time.sleep(0.01)
    lines = _wait(out, "d", already + samples + 10, 30)[already + 10 :]  # 10 to warm up
    return [(float(done) - float(sent)) * 1000 for _, sent, done in lines]


def serverlite_side(count: int, samples: int) -> tuple[float, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        state, out = Path(tmp) / "state", Path(tmp) / "out.txt"
        proc, port = serverlite_app(APP, state, out, enabled=False)
        try:
            _put(_client("kinesis", port), "bench", count)
        finally:
            stop(proc)
        proc, port = serverlite_app(APP, state, out, enabled=True)
        try:
            drain = _drain(_wait(out, "k", count, 120), count)
            latencies = _table_latency(port, samples, out)
        finally:
            stop(proc)
    return drain, latencies


def _poll_shard(kinesis: Any, stream: str, shard: str, handle: Any, done: threading.Event) -> None:
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    while not done.is_set():
        page = kinesis.get_records(ShardIterator=iterator, Limit=PER_PUT)
        iterator = page["NextShardIterator"]
        if not page["Records"]:
            time.sleep(0.01)
            continue
        handle(
            {
                "Records": [
                    {
                        "kinesis": {
                            "partitionKey": r["PartitionKey"],
                            "data": base64.b64encode(r["Data"]).decode(),
                        }
                    }
                    for r in page["Records"]
                ]
            },
            None,
        )


def moto_side(port: int, count: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.txt"
        kinesis = _client("kinesis", port)
        name = f"bench-{time.monotonic_ns()}"
        kinesis.create_stream(StreamName=name, ShardCount=2)
        _put(kinesis, name, count, senders=1)  # moto loses records put from several threads
        handle = in_process_handler(APP / "handler.py", "streams_bench_handler", out)
        done = threading.Event()
        shards = [s["ShardId"] for s in kinesis.list_shards(StreamName=name)["Shards"]]
        pollers = [
            threading.Thread(target=_poll_shard, args=(kinesis, name, shard, handle, done))
            for shard in shards
        ]
        for poller in pollers:
            poller.start()
        try:
            drain = _drain(_wait(out, "k", count, 300), count)
        finally:
            done.set()
            for poller in pollers:
                poller.join()
        kinesis.delete_stream(StreamName=name)
    return drain


def streams_rows(rounds: int, scale: float) -> list[Row]:
    count = max(1000, int(20_000 * scale))
    samples = max(20, int(100 * scale))
    with _moto() as port:
        sides: dict[str, Callable[[], Any]] = {
            "serverlite": partial(serverlite_side, count, samples),
            "moto": partial(moto_side, port, count),
        }
        results: dict[str, list[Any]] = alternate(rounds, sides)
    ours = [float(r[0]) for r in results["serverlite"]]
    theirs = [float(r) for r in results["moto"]]
    p50 = [percentile(r[1], 50) for r in results["serverlite"]]
    return [
        Row(
            "Kinesis -> Lambda, batch 500, order per key checked",
            f"{spread(ours).show()} records/s (durable)",
            f"{spread(theirs).show()} records/s moto server + a GetRecords poller per shard, "
            "handler in-process",
            f"{ratio(ours, theirs).show('.1f', 'x')}",
            f"{count:,} records on 2 shards, {KEYS} partition keys, drained per round",
            ">= 5,000 records/s",
            spread(ours).median >= 5000,
        ),
        Row(
            "DynamoDB write -> stream -> Lambda p50",
            spread(p50).show(".2f", " ms"),
            "no peer (moto has no stream -> Lambda path)",
            "",
            f"{samples} PutItems per round, 10 ms apart",
            "<= 20 ms",
            spread(p50).median <= 20,
        ),
    ]
