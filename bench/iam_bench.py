"""IAM's cost on the endpoint: DynamoDB GetItem p50 signed with a function's own key,
against `serverlite up --iam enforce` and `--iam off`, each in its own process, started
once; each round times the same calls on both, the order rotating every round. The
caller is the function (its access key, as its environment has it), so every call under
enforce is identified and its policies decided (cached per action and resource)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from common import Row, alternate_calls, percentile, start_serverlite, stop, timed_calls
from rounds import ratio, spread
from serverlite.iam import credentials

TABLE = "bench"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:bench-reader"
TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Bench:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: bench
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: bench-reader
      Runtime: python3.12
      CodeUri: src
      Handler: app.handler
      Policies:
        - DynamoDBReadPolicy: {TableName: !Ref Bench}
"""
TARGET = 1.10  # enforce's GetItem p50 within 10% of off's


def _get(url: str) -> Callable[[int], object]:
    keys = credentials.for_function(FUNCTION_ARN)
    client: Any = boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=keys.access_key_id,
        aws_secret_access_key=keys.secret_access_key,
        aws_session_token=keys.session_token,
        config=Config(retries={"max_attempts": 0}),
    )
    boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="admin",
        aws_secret_access_key="x",
    ).put_item(TableName=TABLE, Item={"pk": {"S": "get"}, "name": {"S": "Ada"}})

    def get(_: int = 0) -> object:
        result = client.get_item(TableName=TABLE, Key={"pk": {"S": "get"}})
        assert "Item" in result, result
        return result

    return get


@contextmanager
def _server(mode: str) -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "src").mkdir()
        (root / "src" / "app.py").write_text("def handler(event, context):\n    return None\n")
        (root / "template.yaml").write_text(TEMPLATE)
        proc, port = start_serverlite(root / "template.yaml", root / "state", "--iam", mode)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            stop(proc)


def iam_rows(rounds: int, scale: float) -> list[Row]:
    iterations = max(100, int(300 * scale))
    with _server("enforce") as enforced, _server("off") as off:
        calls: dict[str, dict[str, Callable[[int], object]]] = {}
        for side, url in (("enforce", enforced), ("off", off)):
            call = _get(url)
            timed_calls(call, 50)  # warm: connection, botocore, the decision cache
            calls[side] = {"GetItem": call}
        results = alternate_calls(rounds, iterations, calls)
    ours = [percentile(samples, 50) for samples in results[("enforce", "GetItem")]]
    peer = [percentile(samples, 50) for samples in results[("off", "GetItem")]]
    relative = ratio(ours, peer)
    return [
        Row(
            "DynamoDB GetItem p50, --iam enforce (as a function)",
            spread(ours).show(".3f", " ms"),
            f"{spread(peer).show('.3f', ' ms')} --iam off",
            f"{relative.show('.0%')} of off's time",
            f"{iterations} sequential calls per round, one boto3 client with the function's key",
            "within 10% of --iam off",
            met=relative.median <= TARGET,
        )
    ]


if __name__ == "__main__":
    from common import print_table

    print_table(iam_rows(3, float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), "iam")
