"""DynamoDB benchmark: GetItem, PutItem and Query latency through boto3, against
`serverlite up` (a template declaring the table) and against moto's server, each in
its own process, both started once; each round times the same calls on each, the
order rotating every round. One client, one call at a time."""

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


def _calls(url: str) -> dict[str, Callable[[int], object]]:
    """The table filled, the calls warm; each operation as a callable."""
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

    calls = {"GetItem": get, "PutItem": put, f"Query ({QUERY_ITEMS} items)": query}
    for call in calls.values():  # warm up: connection, botocore caches, the server
        _time(call, 50)
    return calls


@contextmanager
def serverlite_table() -> Iterator[str]:
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
def moto_table() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "MOTO_CALL_RESET_API": "false"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/moto-api/", proc)
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
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)


def dynamodb_rows(rounds: int, scale: float) -> list[Row]:
    iterations = max(100, int(300 * scale))
    with serverlite_table() as ours, moto_table() as peer:
        sides = {}
        for side, url in (("serverlite", ours), ("moto", peer)):
            for operation, call in _calls(url).items():
                sides[(side, operation)] = partial(_time, call, iterations)
        results = alternate(rounds, sides)
    rows = []
    setup = f"{iterations} sequential calls per round, one boto3 client"
    for operation in ("GetItem", "PutItem", f"Query ({QUERY_ITEMS} items)"):
        for q in (50, 99):
            o = [percentile(samples, q) for samples in results[("serverlite", operation)]]
            m = [percentile(samples, q) for samples in results[("moto", operation)]]
            rows.append(
                Row(
                    f"DynamoDB {operation} p{q} (boto3)",
                    spread(o).show(".3f", " ms"),
                    f"{spread(m).show('.3f', ' ms')} moto server (in memory)",
                    f"{ratio(o, m).show('.0%')} of moto's time",
                    setup,
                    "<= 1 ms, >= 3x moto" if operation == "GetItem" and q == 50 else "",
                )
            )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(dynamodb_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "dynamodb")
