"""What a stream mapping reads, through the services' own APIs (in-process):
Kinesis (ListShards, GetShardIterator, GetRecords) and DynamoDB Streams
(DescribeStream, GetShardIterator, GetRecords). Each record is turned into what
Lambda delivers for it, with what filtering and ordering need.
"""

from __future__ import annotations

import base64
import contextlib
import json
from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import AwsClient
from serverlite.patterns import expand_dotted, parse_event

from .spec import StreamMapping


@dataclass(frozen=True)
class StreamRecord:
    sequence: str
    arrival: float  # seconds since the epoch
    key: str  # what ordering is kept by: the partition key, or the item's keys
    event: dict[str, Any]  # the record as Lambda delivers it


class Source:
    """One stream, read shard by shard."""

    service = ""
    limit = 10_000  # the most one GetRecords returns

    def __init__(self, aws: AwsClient, mapping: StreamMapping, region: str) -> None:
        self.aws = aws
        self.mapping = mapping
        self.region = region

    def arn_params(self) -> dict[str, Any]:
        raise NotImplementedError

    async def shards(self) -> list[str]:
        raise NotImplementedError

    def record(self, shard: str, raw: dict[str, Any]) -> StreamRecord:
        raise NotImplementedError

    def filter_document(self, record: StreamRecord) -> Any:
        return expand_dotted(record.event)

    async def iterator(self, shard: str, kind: str, **extra: Any) -> str:
        answer = await self.aws.call(
            self.service,
            "GetShardIterator",
            {**self.arn_params(), "ShardId": shard, "ShardIteratorType": kind, **extra},
        )
        return str(answer["ShardIterator"])

    async def read(self, iterator: str, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        answer = await self.aws.call(
            self.service,
            "GetRecords",
            {"ShardIterator": iterator, "Limit": min(limit, self.limit)},
        )
        return list(answer.get("Records", [])), answer.get("NextShardIterator")

    def sequence_param(self) -> str:
        return "StartingSequenceNumber"


class KinesisSource(Source):
    service = "kinesis"

    def arn_params(self) -> dict[str, Any]:
        return {"StreamARN": self.mapping.source_arn}

    async def shards(self) -> list[str]:
        answer = await self.aws.call("kinesis", "ListShards", self.arn_params())
        return [str(s["ShardId"]) for s in answer["Shards"]]

    def record(self, shard: str, raw: dict[str, Any]) -> StreamRecord:
        data = raw["Data"]
        if isinstance(data, bytes):
            data = base64.b64encode(data).decode()
        sequence = str(raw["SequenceNumber"])
        arrival = float(raw["ApproximateArrivalTimestamp"])
        event = {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": raw["PartitionKey"],
                "sequenceNumber": sequence,
                "data": data,
                "approximateArrivalTimestamp": arrival,
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard}:{sequence}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": self.mapping.role_arn,
            "awsRegion": self.region,
            "eventSourceARN": self.mapping.source_arn,
        }
        return StreamRecord(sequence, arrival, str(raw["PartitionKey"]), event)

    def filter_document(self, record: StreamRecord) -> Any:
        # As AWS does, a filter on `data` sees the decoded JSON; data that is not JSON
        # matches no pattern on its fields.
        document = dict(record.event["kinesis"])
        with contextlib.suppress(ValueError):
            document["data"] = parse_event(base64.b64decode(document["data"]))
        return expand_dotted(document)


class DynamoDBSource(Source):
    service = "dynamodbstreams"
    limit = 1000

    def arn_params(self) -> dict[str, Any]:
        return {"StreamArn": self.mapping.source_arn}

    async def shards(self) -> list[str]:
        answer = await self.aws.call("dynamodbstreams", "DescribeStream", self.arn_params())
        return [str(s["ShardId"]) for s in answer["StreamDescription"]["Shards"]]

    def sequence_param(self) -> str:
        return "SequenceNumber"

    def record(self, shard: str, raw: dict[str, Any]) -> StreamRecord:
        event = dict(raw)
        change = event["dynamodb"]
        identity = event.pop("userIdentity", None)
        if identity is not None:  # GetRecords says PrincipalId/Type; Lambda's event does not
            event["userIdentity"] = {
                "type": identity.get("Type"),
                "principalId": identity.get("PrincipalId"),
            }
        event["eventSourceARN"] = self.mapping.source_arn
        key = json.dumps(change["Keys"], sort_keys=True)
        return StreamRecord(
            str(change["SequenceNumber"]), float(change["ApproximateCreationDateTime"]), key, event
        )


def source_for(aws: AwsClient, mapping: StreamMapping, region: str) -> Source:
    if mapping.kind == "kinesis":
        return KinesisSource(aws, mapping, region)
    return DynamoDBSource(aws, mapping, region)
