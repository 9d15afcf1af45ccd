"""S3 benchmark: PutObject and GetObject of 1 KB and 1 MB through boto3, against
`serverlite up` (a template declaring the bucket; bytes on disk, fsynced before the
PUT is answered) and against moto's server (in memory), each in its own process, both
started once; each round times the same calls on each, the order rotating every
round. One client, one call at a time."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from common import (
    ROOT,
    Row,
    alternate_calls,
    aws_client,
    moto_server,
    percentile,
    serverlite_endpoint,
    speedup,
    start_peer,
    stop,
    timed_calls,
)
from rounds import ratio, spread

BUCKET = "bench-bucket"
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Bench:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: bench-bucket
"""
SIZES = {"1 KB": 1024, "1 MB": 1024 * 1024}
OPERATIONS = [f"{op} {size}" for size in SIZES for op in ("PutObject", "GetObject")]


def _client(url: str) -> Any:
    # botocore validates a GET's CRC32 when the server returns one (AWS and serverlite
    # do, moto does not): ~9 ms of client time per MB that would be charged to the
    # server that is more faithful. Both sides skip it here.
    return aws_client("s3", url, response_checksum_validation="when_required")


def _calls(url: str) -> dict[str, Callable[[int], object]]:
    """The objects written, the calls warm; each operation as a callable."""
    s3 = _client(url)
    calls: dict[str, Callable[[int], object]] = {}
    for label, size in SIZES.items():
        body = os.urandom(size)
        s3.put_object(Bucket=BUCKET, Key=f"get-{label}", Body=body)

        def put(i: int, body: bytes = body, label: str = label) -> object:
            return s3.put_object(Bucket=BUCKET, Key=f"put-{label}-{i % 100}", Body=body)

        def get(_: int, label: str = label) -> object:
            return s3.get_object(Bucket=BUCKET, Key=f"get-{label}")["Body"].read()

        calls[f"PutObject {label}"] = put
        calls[f"GetObject {label}"] = get
    for call in calls.values():  # warm up: connection, botocore caches, the server
        timed_calls(call, 20)
    return calls


@contextmanager
def moto_bucket() -> Iterator[str]:
    with moto_server() as url:
        _client(url).create_bucket(Bucket=BUCKET)
        yield url


@contextmanager
def client_floor() -> Iterator[str]:
    """bench/peers/s3_stub.py: answers at once, so what a call costs there is the
    client's own time."""
    proc, port = start_peer([sys.executable, str(ROOT / "bench" / "peers" / "s3_stub.py")])
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def s3_rows(rounds: int, scale: float) -> list[Row]:
    iterations = max(50, int(200 * scale))
    with serverlite_endpoint(TEMPLATE) as ours, moto_bucket() as peer, client_floor() as stub:
        results = alternate_calls(
            rounds,
            iterations,
            {"serverlite": _calls(ours), "moto": _calls(peer), "floor": _calls(stub)},
        )
    rows = []
    setup = (
        f"{iterations} sequential calls per round, one boto3 client, the same Config on "
        "every side (response checksum validation off); floor: the same calls to a stub "
        "that answers at once (bench/peers/s3_stub.py), the client's own time"
    )
    for operation in OPERATIONS:
        o, m, f = (
            [percentile(samples, 50) for samples in results[(side, operation)]]
            for side in ("serverlite", "moto", "floor")
        )
        # What each server adds to the client's own time (medians; under load the
        # floor's own spread can exceed the difference, hence both, not a ratio).
        floor = spread(f).median
        added = f"{spread(o).median - floor:.2f} vs moto's {spread(m).median - floor:.2f} ms"
        rows.append(
            Row(
                f"S3 {operation} p50 (boto3)",
                spread(o).show(".3f", " ms"),
                f"{spread(m).show('.3f', ' ms')} moto server (in memory); client floor "
                f"{spread(f).show('.3f', ' ms')}",
                f"{ratio(o, m).show('.0%')} of moto's time; over the floor {added}",
                setup,
                ">= 3x moto",
                met=speedup(o, m) >= 3.0,
            )
        )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(s3_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "s3")
