"""DynamoDB benchmark: GetItem, PutItem and Query latency through boto3, against
`serverlite up` (a template declaring the table) and against moto's server, each in
its own process, in the same run."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from common import Row, free_port, percentile, start_serverlite, stop

TABLE = "bench"
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Bench:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: bench
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - {AttributeName: pk, AttributeType: S}
        - {AttributeName: sk, AttributeType: S}
      KeySchema:
        - {AttributeName: pk, KeyType: HASH}
        - {AttributeName: sk, KeyType: RANGE}
"""
QUERY_ITEMS = 10  # a Query returns a partition of this many items


def _client(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}),
    )


def _item(pk: str, sk: str) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "name": {"S": "Ada Lovelace"},
        "age": {"N": "36"},
        "tags": {"SS": ["math", "poetry"]},
        "address": {"M": {"city": {"S": "London"}, "zip": {"S": "W1"}}},
    }


def _time(call: Callable[[int], object], iterations: int) -> list[float]:
    samples = []
    for i in range(iterations):
        started = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _measure(url: str, iterations: int) -> dict[str, list[float]]:
    ddb = _client(url)
    for i in range(QUERY_ITEMS):
        ddb.put_item(TableName=TABLE, Item=_item("query", f"{i:04}"))
    ddb.put_item(TableName=TABLE, Item=_item("get", "one"))

    def get(_: int) -> object:
        return ddb.get_item(TableName=TABLE, Key={"pk": {"S": "get"}, "sk": {"S": "one"}})

    def put(i: int) -> object:
        return ddb.put_item(TableName=TABLE, Item=_item("put", f"{i % 1000:04}"))

    def query(_: int) -> object:
        return ddb.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "query"}},
        )

    for call in (get, put, query):  # warm up: connection, botocore caches, both servers
        _time(call, 50)
    return {
        "GetItem": _time(get, iterations),
        "PutItem": _time(put, iterations),
        f"Query ({QUERY_ITEMS} items)": _time(query, iterations),
    }


def serverlite_samples(iterations: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "template.yaml"
        template.write_text(TEMPLATE)
        port = free_port()
        proc = start_serverlite(template, Path(tmp) / "state", port)
        try:
            return _measure(f"http://127.0.0.1:{port}", iterations)
        finally:
            stop(proc)


def moto_samples(iterations: int) -> dict[str, list[float]]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_CALL_RESET_API": "false"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's server did not start") from None
                time.sleep(0.1)
        _client(f"http://127.0.0.1:{port}").create_table(
            TableName=TABLE,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
        )
        return _measure(f"http://127.0.0.1:{port}", iterations)
    finally:
        stop(proc)


def dynamodb_rows(iterations: int) -> list[Row]:
    ours = serverlite_samples(iterations)
    peer = moto_samples(iterations)
    rows = []
    for operation, samples in ours.items():
        o50, o99 = percentile(samples, 50), percentile(samples, 99)
        m50, m99 = percentile(peer[operation], 50), percentile(peer[operation], 99)
        get = operation == "GetItem"
        rows.append(
            Row(
                f"DynamoDB {operation} p50 (boto3)",
                f"{o50:.3f} ms",
                f"{m50:.3f} ms (moto server)",
                f"{m50 / o50:.1f}x faster",
                "<= 1 ms, >= 3x moto" if get else "",
            )
        )
        rows.append(
            Row(
                f"DynamoDB {operation} p99",
                f"{o99:.3f} ms",
                f"{m99:.3f} ms (moto server)",
                f"{m99 / o99:.1f}x faster",
            )
        )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(dynamodb_rows(int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
