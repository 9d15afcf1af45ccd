"""`serverlite up` with an AWS::Kinesis::Stream: it exists at start, and every
acknowledged record survives a kill -9, in its shard's order."""

from __future__ import annotations

import signal
import textwrap
import threading
from pathlib import Path

import pytest

from tests.integration.conftest import aws_client, start_server, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Kinesis::Stream
    Properties:
      Name: orders
      ShardCount: 2
      RetentionPeriodHours: 48
"""


def test_acknowledged_records_survive_kill_9(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(textwrap.dedent(TEMPLATE))
    state = tmp_path / "state"
    server = start_server(template, state, "--no-reload")
    acknowledged: list[tuple[str, str]] = []  # (shard, sequence number)
    try:
        kinesis = aws_client(server, "kinesis")
        summary = kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
        assert (summary["OpenShardCount"], summary["RetentionPeriodHours"]) == (2, 48)
        assert "orders" in server.output()

        def put() -> None:
            writer = aws_client(server, "kinesis")
            for i in range(100_000):
                try:
                    answer = writer.put_record(
                        StreamName="orders", Data=f"{i}".encode(), PartitionKey=f"customer-{i % 7}"
                    )
                except Exception:
                    return  # killed mid-request
                acknowledged.append((answer["ShardId"], answer["SequenceNumber"]))

        thread = threading.Thread(target=put)
        thread.start()
        wait_for(lambda: len(acknowledged) >= 200, 30)
    finally:
        server.stop(signal.SIGKILL)
    thread.join(30)

    server = start_server(template, state, "--no-reload")
    try:
        kinesis = aws_client(server, "kinesis")
        for shard in ("shardId-000000000000", "shardId-000000000001"):
            iterator = kinesis.get_shard_iterator(
                StreamName="orders", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            stored = [
                r["SequenceNumber"] for r in kinesis.get_records(ShardIterator=iterator)["Records"]
            ]
            mine = [seq for s, seq in acknowledged if s == shard]
            assert stored[: len(mine)] == mine  # all acknowledged, in order
            assert len(stored) - len(mine) <= 1  # at most the one cut off mid-answer
    finally:
        server.stop()
