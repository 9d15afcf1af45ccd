"""DynamoDB benchmark: GetItem, PutItem and Query latency through boto3, against
`serverlite up` (a template declaring the table) and against moto's server, each in
its own process, both started once; each round times the same calls on each, the
order rotating every round. One client, one call at a time."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from common import (
    Row,
    alternate_calls,
    aws_client,
    moto_server,
    percentile,
    serverlite_endpoint,
    speedup,
    timed_calls,
)
from rounds import ratio, spread

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


def _item(pk: str, sk: str) -> dict[str, Any]:
    return {
        "pk": {"S": pk},
        "sk": {"S": sk},
        "name": {"S": "Ada Lovelace"},
        "age": {"N": "36"},
        "tags": {"SS": ["math", "poetry"]},
        "address": {"M": {"city": {"S": "London"}, "zip": {"S": "W1"}}},
    }


def _calls(url: str) -> dict[str, Callable[[int], object]]:
    """The table filled, the calls warm; each operation as a callable."""
    ddb = aws_client("dynamodb", url)
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
        timed_calls(call, 50)
    return calls


@contextmanager
def moto_table() -> Iterator[str]:
    with moto_server() as url:
        aws_client("dynamodb", url).create_table(
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
        yield url


def dynamodb_rows(rounds: int, scale: float) -> list[Row]:
    iterations = max(100, int(300 * scale))
    with serverlite_endpoint(TEMPLATE) as ours, moto_table() as peer:
        results = alternate_calls(
            rounds, iterations, {"serverlite": _calls(ours), "moto": _calls(peer)}
        )
    rows = []
    setup = f"{iterations} sequential calls per round, one boto3 client"
    for operation in ("GetItem", "PutItem", f"Query ({QUERY_ITEMS} items)"):
        for q in (50, 99):
            o = [percentile(samples, q) for samples in results[("serverlite", operation)]]
            m = [percentile(samples, q) for samples in results[("moto", operation)]]
            targeted = operation == "GetItem" and q == 50
            rows.append(
                Row(
                    f"DynamoDB {operation} p{q} (boto3)",
                    spread(o).show(".3f", " ms"),
                    f"{spread(m).show('.3f', ' ms')} moto server (in memory)",
                    f"{ratio(o, m).show('.0%')} of moto's time",
                    setup,
                    "<= 1 ms, >= 3x moto" if targeted else "",
                    spread(o).median <= 1.0 and speedup(o, m) >= 3.0 if targeted else None,
                )
            )
    return rows


if __name__ == "__main__":
    from common import print_table

    print_table(dynamodb_rows(2, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "dynamodb")
