"""S3 benchmark: PutObject and GetObject of 1 KB and 1 MB through boto3, against
`serverlite up` (a template declaring the bucket; bytes on disk, fsynced before the
PUT is answered) and against moto's server (in memory), each in its own process, both
started once; each round times the same calls on each, the order rotating every
round. One client, one call at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from common import Row, free_port, percentile, start_serverlite, stop, wait_http
from rounds import alternate, ratio, spread

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
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        # botocore validates a GET's CRC32 when the server returns one (AWS and
        # serverlite do, moto does not): ~9 ms of client time per MB that would be
        # charged to the server that is more faithful. Both sides skip it here.
        config=Config(retries={"max_attempts": 0}, response_checksum_validation="when_required"),
    )


def _time(call: Callable[[int], object], iterations: int) -> list[float]:
    samples = []
    for i in range(iterations):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


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
        _time(call, 20)
    return calls


@contextmanager
def serverlite_bucket() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.yaml"
        template.write_text(TEMPLATE)
        port = free_port()
        proc = start_serverlite(template, Path(tmp) / "state", port)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


@contextmanager
def moto_bucket() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_CALL_RESET_API": "false"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/", proc)
        _client(f"http://127.0.0.1:{port}").create_bucket(Bucket=BUCKET)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def s3_rows(rounds: int, scale: float) -> list[Row]:
    iterations = max(50, int(200 * scale))
    with serverlite_bucket() as ours, moto_bucket() as peer:
        sides = {}
        for side, url in (("serverlite", ours), ("moto", peer)):
            for operation, call in _calls(url).items():
                sides[(side, operation)] = partial(_time, call, iterations)
        results = alternate(rounds, sides)
    rows = []
    setup = (
        f"{iterations} sequential calls per round, one boto3 client (response checksum "
        "validation off on both sides)"
    )
    for operation in OPERATIONS:
        o = [percentile(samples, 50) for samples in results[("serverlite", operation)]]
        m = [percentile(samples, 50) for samples in results[("moto", operation)]]
        speedup = spread([b / a for a, b in zip(o, m, strict=True) if a])
        rows.append(
            Row(
                f"S3 {operation} p50 (boto3)",
                spread(o).show(".3f", " ms"),
                f"{spread(m).show('.3f', ' ms')} moto server (in memory)",
                f"{ratio(o, m).show('.0%')} of moto's time",
                setup,
                ">= 3x moto",
                met=speedup.median >= 3.0,
            )
        )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(s3_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "s3")
