"""DynamoDB Streams' operations (botocore's ``dynamodbstreams``, JSON 1.0,
``DynamoDBStreams_20120810``): ListStreams, DescribeStream, GetShardIterator, GetRecords.

A shard iterator is opaque to clients; here it carries the stream, the shard, the
sequence after which to read and when it was issued. AWS lets an iterator live 15
minutes (ExpiredIteratorException after); a position already trimmed by the 24-hour
retention is TrimmedDataAccessException, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from serverlite.aws.backend import AwsError

from .context import Context
from .errors import constraint, not_found, validation
from .stream_log import StreamRow, parse_sequence_number, sequence_number

ITERATOR_LIFETIME_S = 15 * 60
MAX_RECORDS = 1000
MAX_STREAMS = 100
ITERATOR_TYPES = (
    "TRIM_HORIZON",
    "LATEST",
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "AT_TIMESTAMP",
)


def _stream(ctx: Context, arn: Any) -> StreamRow:
    if not isinstance(arn, str) or not arn:
        raise constraint(arn, "streamArn", "Member must not be null")
    ctx.storage.streams.trim(ctx.clock())
    stream = ctx.storage.streams.get(arn)
    if stream is None:
        raise not_found(f"Requested resource not found: Stream: {arn} not found")
    return stream


def _limit(body: dict[str, Any], most: int) -> int:
    value = body.get("Limit")
    if value is None:
        return most
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise constraint(value, "limit", "Member must have value greater than or equal to 1")
    if value > most:
        raise constraint(value, "limit", f"Member must have value less than or equal to {most}")
    return value


def list_streams(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = _limit(body, MAX_STREAMS)
    table = body.get("TableName")
    if table is not None and table not in ctx.storage.tables:
        raise not_found(f"Requested resource not found: Table: {table} not found")
    ctx.storage.streams.trim(ctx.clock())
    streams = ctx.storage.streams.listed(table)
    start = body.get("ExclusiveStartStreamArn")
    if start is not None:
        streams = [s for s in streams if s.arn > start]
    page = streams[:limit]
    result: dict[str, Any] = {
        "Streams": [
            {"StreamArn": s.arn, "TableName": s.table_name, "StreamLabel": s.label} for s in page
        ]
    }
    if len(streams) > limit:
        result["LastEvaluatedStreamArn"] = page[-1].arn
    return result


def _shard(ctx: Context, stream: StreamRow) -> dict[str, Any]:
    numbers = {"StartingSequenceNumber": sequence_number(max(stream.first_seq, stream.trimmed + 1))}
    if stream.last_seq is not None:  # a disabled stream's shard is closed
        numbers["EndingSequenceNumber"] = sequence_number(ctx.storage.streams.latest(stream))
    return {"ShardId": stream.shard_id, "SequenceNumberRange": numbers}


def describe_stream(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _limit(body, MAX_RECORDS)
    stream = _stream(ctx, body.get("StreamArn"))
    shards = [_shard(ctx, stream)]
    start = body.get("ExclusiveStartShardId")
    if start is not None:
        shards = [s for s in shards if s["ShardId"] > start]
    return {
        "StreamDescription": {
            "StreamArn": stream.arn,
            "StreamLabel": stream.label,
            "StreamStatus": "ENABLED" if stream.enabled else "DISABLED",
            "StreamViewType": stream.view_type,
            "CreationRequestDateTime": stream.created,
            "TableName": stream.table_name,
            "KeySchema": stream.key_schema,
            "Shards": shards,
        }
    }


def _encode(stream: StreamRow, after: int, issued: float) -> str:
    state = json.dumps([stream.arn, stream.shard_id, after, issued], separators=(",", ":"))
    return base64.urlsafe_b64encode(state.encode()).decode()


def _decode(iterator: Any) -> tuple[str, str, int, float]:
    if not isinstance(iterator, str) or not iterator:
        raise constraint(iterator, "shardIterator", "Member must not be null")
    try:
        arn, shard, after, issued = json.loads(base64.urlsafe_b64decode(iterator.encode()))
        return str(arn), str(shard), int(after), float(issued)
    except (ValueError, TypeError, binascii.Error):
        raise validation("Invalid ShardIterator") from None


def get_shard_iterator(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    stream = _stream(ctx, body.get("StreamArn"))
    kind = body.get("ShardIteratorType")
    if kind not in ITERATOR_TYPES:
        raise constraint(
            kind,
            "shardIteratorType",
            f"Member must satisfy enum value set: [{', '.join(ITERATOR_TYPES)}]",
        )
    if body.get("ShardId") != stream.shard_id:
        raise not_found(
            f"Requested resource not found: Shard does not exist: {body.get('ShardId')}"
        )
    log = ctx.storage.streams
    if kind == "TRIM_HORIZON":
        after = stream.trimmed
    elif kind == "LATEST":
        after = log.latest(stream)
    elif kind == "AT_TIMESTAMP":
        moment = body.get("Timestamp")
        if not isinstance(moment, int | float):
            raise validation("Timestamp must be provided for AT_TIMESTAMP shard iterator type")
        after = log.before(stream, float(moment))
    else:
        seq = parse_sequence_number(body.get("SequenceNumber"))
        if seq is None:
            raise validation(
                f"SequenceNumber must be provided and valid for {kind} shard iterator type"
            )
        if seq <= stream.trimmed:
            raise AwsError(
                "TrimmedDataAccessException",
                f"Sequence number {body['SequenceNumber']} is beyond the trim horizon",
            )
        after = seq - 1 if kind == "AT_SEQUENCE_NUMBER" else seq
    return {"ShardIterator": _encode(stream, after, ctx.clock())}


def get_records(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = _limit(body, MAX_RECORDS)
    arn, shard, after, issued = _decode(body.get("ShardIterator"))
    now = ctx.clock()
    if now - issued > ITERATOR_LIFETIME_S:
        raise AwsError(
            "ExpiredIteratorException",
            "Iterator expired. The iterator was created at time "
            f"{issued:.0f} while right now it is {now:.0f} which is further in the future "
            "than the tolerated delay of 900000 milliseconds.",
        )
    stream = _stream(ctx, arn)
    if shard != stream.shard_id:
        raise not_found(f"Requested resource not found: Shard does not exist: {shard}")
    if after < stream.trimmed:
        raise AwsError(
            "TrimmedDataAccessException",
            "The operation attempted to read past the oldest stream record in a shard.",
        )
    records = []
    for seq, created, text in ctx.storage.streams.read(stream, after, limit):
        record = json.loads(text)
        record["awsRegion"] = ctx.region
        change = record["dynamodb"]
        # AWS rounds the creation time down to the second.
        change["ApproximateCreationDateTime"] = float(int(created))
        change["SequenceNumber"] = sequence_number(seq)
        records.append(record)
        after = seq
    result: dict[str, Any] = {"Records": records}
    closed = stream.last_seq is not None and after >= ctx.storage.streams.latest(stream)
    if not closed:  # a closed shard read to its end has no next iterator
        result["NextShardIterator"] = _encode(stream, after, now)
    return result
