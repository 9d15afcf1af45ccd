"""kill -9 while a Kinesis mapping delivers: after the restart every record is
delivered, none out of order within its shard; only the batch in flight at the kill
may come again (Lambda's at-least-once)."""

from __future__ import annotations

import base64
import json
import signal
import textwrap
from pathlib import Path

import pytest

from tests.integration.conftest import FIXTURES, aws_client, start_server, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Events:
    Type: AWS::Kinesis::Stream
    Properties: {Name: events, ShardCount: 2}
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.11
      CodeUri: {code}
      Handler: handlers.slow_recorder
      Environment: {Variables: {MARKER_DIR: {markers}}}
      Events:
        Events:
          Type: Kinesis
          Properties:
            Stream: !GetAtt Events.Arn
            StartingPosition: TRIM_HORIZON
            BatchSize: 5
"""
COUNT = 300


def delivered(markers: Path) -> list[tuple[str, int]]:
    """(shard, n) of every record delivered, in delivery order."""
    path = markers / "Consumer.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut by the kill
        for record in event["Records"]:
            n = json.loads(base64.b64decode(record["kinesis"]["data"]))["n"]
            out.append((record["eventID"].split(":")[0], n))
    return out


def test_checkpoints_survive_kill_9(tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    template = tmp_path / "template.yaml"
    text = TEMPLATE.replace("{code}", str(FIXTURES / "streams" / "src"))
    template.write_text(textwrap.dedent(text.replace("{markers}", str(markers))))
    state = tmp_path / "state"
    server = start_server(template, state, "--no-reload")
    try:
        kinesis = aws_client(server, "kinesis")
        for start in range(0, COUNT, 100):
            kinesis.put_records(
                StreamName="events",
                Records=[
                    {"Data": json.dumps({"n": n}).encode(), "PartitionKey": f"k{n % 10}"}
                    for n in range(start, start + 100)
                ],
            )
        wait_for(lambda: len(delivered(markers)) >= 40, 30)
    finally:
        server.stop(signal.SIGKILL)
    before = len(delivered(markers))
    assert before < COUNT, "everything was delivered before the kill: nothing was tested"

    server = start_server(template, state, "--no-reload")
    try:
        wait_for(lambda: len({n for _, n in delivered(markers)}) >= COUNT, 60)
    finally:
        server.stop()
    seen = delivered(markers)
    assert {n for _, n in seen} == set(range(COUNT))
    for shard in {s for s, _ in seen}:
        order = [n for s, n in seen if s == shard]
        first_seen = list(dict.fromkeys(order))
        assert first_seen == sorted(first_seen), shard  # never out of order in a shard
    assert len(seen) - COUNT <= 2 * 5  # at most the batch in flight on each shard, again
