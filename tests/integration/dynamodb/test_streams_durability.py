"""kill -9 while items are written to a table with a stream: after the restart every
item has its stream record and every record its item (they commit together), and
`!GetAtt Table.StreamArn` is the stream the table has."""

from __future__ import annotations

import signal
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import start_server, wait_for

from .conftest import client

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Notes:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: notes
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
Outputs:
  StreamArn:
    Value: !GetAtt Notes.StreamArn
"""


def stream_keys(streams: Any, arn: str) -> list[str]:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    keys: list[str] = []
    while True:
        page = streams.get_records(ShardIterator=iterator)
        keys += [r["dynamodb"]["Keys"]["id"]["S"] for r in page["Records"]]
        if not page["Records"]:
            return keys
        iterator = page["NextShardIterator"]


def test_no_item_without_its_record_after_kill_9(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent(TEMPLATE))
    state = tmp_path / "state"
    server = start_server(template, state, "--no-reload")
    acknowledged: list[str] = []
    try:
        ddb = client(server.url)
        arn = ddb.describe_table(TableName="notes")["Table"]["LatestStreamArn"]
        assert arn.endswith("/stream/1970-01-01T00:00:00.000")  # what !GetAtt StreamArn gives

        def write() -> None:
            writer = client(server.url)
            for i in range(100_000):
                try:
                    writer.put_item(TableName="notes", Item={"id": {"S": f"{i:06}"}})
                except Exception:
                    return  # the server was killed mid-request
                acknowledged.append(f"{i:06}")

        thread = threading.Thread(target=write)
        thread.start()
        wait_for(lambda: len(acknowledged) >= 200, 30)
    finally:
        server.stop(signal.SIGKILL)
    thread.join(30)
    assert server.proc.returncode == -signal.SIGKILL

    server = start_server(template, state, "--no-reload")
    try:
        ddb = client(server.url)
        items = sorted(
            item["id"]["S"]
            for page in ddb.get_paginator("scan").paginate(TableName="notes")
            for item in page["Items"]
        )
        assert set(acknowledged) <= set(items)
        keys = stream_keys(client(server.url, "dynamodbstreams"), arn)
        assert keys == items  # one record per item, in write order, nothing extra
    finally:
        server.stop()
