"""PutRecord, PutRecords, GetShardIterator, GetRecords.

A record goes to the shard whose hash key range holds the MD5 of its partition key
(or its ExplicitHashKey); its sequence number is larger than every earlier one in
its shard. Iterators are opaque to clients and live 5 minutes, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from serverlite.aws.backend import AwsError

from .context import Context
from .names import (
    HASH_SPACE,
    hash_key,
    invalid,
    parse_sequence_number,
    sequence_number,
    shard_id,
    shard_index,
    validation,
)
from .store import Shard, Stream

MAX_RECORD_BYTES = 1024 * 1024  # data + partition key, before base64
MAX_PUT_RECORDS = 500
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024
MAX_GET_RECORDS = 10000
ITERATOR_LIFETIME_S = 5 * 60
ITERATOR_TYPES = (
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
    "LATEST",
    "AT_TIMESTAMP",
)


def _data(value: Any, where: str) -> bytes:
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if not isinstance(value, str):
        raise validation(None, where, "Member must not be null")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise AwsError("SerializationException", "Data is not valid base64") from None


def _record(entry: dict[str, Any], where: str) -> tuple[bytes, str, int]:
    """(data, partition key, hash key) of one record to put."""
    data = _data(entry.get("Data"), f"{where}data")
    key = entry.get("PartitionKey")
    if not isinstance(key, str) or not key:
        raise validation(
            key, f"{where}partitionKey", "Member must have length greater than or equal to 1"
        )
    if len(key) > 256:
        raise validation(
            key, f"{where}partitionKey", "Member must have length less than or equal to 256"
        )
    if len(data) + len(key.encode()) > MAX_RECORD_BYTES:
        raise validation(
            "java.nio.HeapByteBuffer",
            f"{where}data",
            "Member must have length less than or equal to 1048576",
        )
    explicit = entry.get("ExplicitHashKey")
    if explicit is None:
        return data, key, hash_key(key)
    if not isinstance(explicit, str) or not explicit.isdigit() or int(explicit) >= HASH_SPACE:
        raise invalid(
            f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
            f"Specified value was {explicit}"
        )
    return data, key, int(explicit)


def put_record(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    data, key, hashed = _record(body, "")
    ordering = body.get("SequenceNumberForOrdering")
    if ordering is not None and parse_sequence_number(ordering) is None:
        raise invalid(f"ExclusiveMinimumSequenceNumber {ordering} used in PutRecord is invalid.")
    stream = ctx.stream(body)
    # Every sequence number is larger than all before it, so one given for ordering is
    # always exceeded, as AWS guarantees for the same partition key.
    shard = stream.shard_for(hashed)
    (seq,) = ctx.store.append(stream, [(shard.index, ctx.clock(), key, data)])
    ctx.metrics.put(stream.name, [len(data)], batch=False)
    return {
        "ShardId": shard_id(shard.index),
        "SequenceNumber": sequence_number(seq),
        "EncryptionType": "NONE",
    }


def put_records(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    entries = body.get("Records")
    if not isinstance(entries, list) or not entries:
        raise validation(entries, "records", "Member must have length greater than or equal to 1")
    if len(entries) > MAX_PUT_RECORDS:
        raise validation(
            "[...]", "records", f"Member must have length less than or equal to {MAX_PUT_RECORDS}"
        )
    planned = [_record(entry, f"records.{i + 1}.member.") for i, entry in enumerate(entries)]
    total = sum(len(data) + len(key.encode()) for data, key, _ in planned)
    if total > MAX_PUT_RECORDS_BYTES:
        raise invalid(
            f"Records size exceeds 5 MB limit: the request has {total} bytes of data and keys"
        )
    stream = ctx.stream(body)
    now = ctx.clock()
    shards = [stream.shard_for(hashed) for _, _, hashed in planned]
    # serverlite enforces no shard throughput, so no entry fails (AWS answers an entry
    # over its shard's limit with ProvisionedThroughputExceededException, the rest put).
    seqs = ctx.store.append(
        stream,
        [(s.index, now, key, data) for s, (data, key, _) in zip(shards, planned, strict=True)],
    )
    ctx.metrics.put(stream.name, [len(data) for data, _, _ in planned], batch=True)
    return {
        "FailedRecordCount": 0,
        "Records": [
            {"SequenceNumber": sequence_number(seq), "ShardId": shard_id(s.index)}
            for seq, s in zip(seqs, shards, strict=True)
        ],
        "EncryptionType": "NONE",
    }


def _shard(ctx: Context, stream: Stream, given: Any) -> Shard:
    index = shard_index(given)
    for shard in stream.shards:
        if shard.index == index:
            return shard
    raise AwsError(
        "ResourceNotFoundException",
        f"Shard {given} in stream {stream.name} under account {ctx.account_id} does not exist",
    )


def _encode(stream: Stream, shard: Shard, after: int, issued: float) -> str:
    state = json.dumps([stream.name, stream.id, shard.index, after, issued], separators=(",", ":"))
    return base64.b64encode(state.encode()).decode()


def get_shard_iterator(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    kind = body.get("ShardIteratorType")
    if kind not in ITERATOR_TYPES:
        raise validation(
            kind,
            "shardIteratorType",
            f"Member must satisfy enum value set: [{', '.join(ITERATOR_TYPES)}]",
        )
    stream = ctx.stream(body)
    shard = _shard(ctx, stream, body.get("ShardId"))
    if kind == "TRIM_HORIZON":
        after = shard.trimmed
    elif kind == "LATEST":
        after = ctx.store.latest(stream, shard)
    elif kind == "AT_TIMESTAMP":
        moment = body.get("Timestamp")
        if not isinstance(moment, int | float) or isinstance(moment, bool):
            raise invalid(
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP"
            )
        if moment > ctx.clock():
            raise invalid(
                "The timestampInMillis parameter cannot be greater than the "
                f"currentTimestampInMillis. timestampInMillis: {int(moment * 1000)}, "
                f"currentTimestampInMillis: {int(ctx.clock() * 1000)}"
            )
        after = ctx.store.before(stream, shard, float(moment))
    else:
        given = body.get("StartingSequenceNumber")
        seq = parse_sequence_number(given)
        if seq is None or seq < 0:
            raise invalid(
                f"StartingSequenceNumber {given} used in GetShardIterator on shard "
                f"{shard_id(shard.index)} in stream {stream.name} under account "
                f"{ctx.account_id} is invalid."
            )
        after = seq - 1 if kind == "AT_SEQUENCE_NUMBER" else seq
        after = max(after, shard.trimmed)  # a trimmed position reads from the trim horizon
    return {"ShardIterator": _encode(stream, shard, after, ctx.clock())}


def get_records(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = body.get("Limit", MAX_GET_RECORDS)
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise validation(limit, "limit", "Member must have value greater than or equal to 1")
    if limit > MAX_GET_RECORDS:
        raise validation(limit, "limit", "Member must have value less than or equal to 10000")
    iterator = body.get("ShardIterator")
    try:
        name, stream_id, index, after, issued = json.loads(base64.b64decode(str(iterator)))
        after, issued = int(after), float(issued)
    except (ValueError, TypeError, binascii.Error):
        raise invalid(f"Invalid ShardIterator: {iterator}") from None
    now = ctx.clock()
    if now - issued > ITERATOR_LIFETIME_S:
        raise AwsError(
            "ExpiredIteratorException",
            f"Iterator expired. The iterator was created at time {_time(issued)} while right "
            f"now it is {_time(now)} which is further in the future than the tolerated delay "
            "of 300000 milliseconds.",
        )
    stream = ctx.store.get(str(name))
    if stream is None or stream.id != stream_id:
        raise ctx.not_found(str(name))
    shard = _shard(ctx, stream, f"shardId-{int(index):012d}")
    after = max(after, shard.trimmed)
    rows = ctx.store.read(stream, shard.index, after, limit)
    records = [
        {
            "SequenceNumber": sequence_number(row.seq),
            "ApproximateArrivalTimestamp": round(row.arrival, 3),
            "Data": base64.b64encode(row.data).decode(),
            "PartitionKey": row.partition_key,
        }
        for row in rows
    ]
    if rows:
        after = rows[-1].seq
    age = max(0.0, (now - rows[-1].arrival) * 1000) if rows else 0.0
    ctx.metrics.got(stream.name, [len(row.data) for row in rows], age)
    newest = ctx.store.latest(stream, shard)
    behind = 0
    if rows and after < newest:
        behind = max(0, int((now - rows[-1].arrival) * 1000))
    return {
        "Records": records,
        "NextShardIterator": _encode(stream, shard, after, now),
        "MillisBehindLatest": behind,
    }


def _time(moment: float) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(moment, tz=datetime.UTC).strftime(
        "%a %b %d %H:%M:%S UTC %Y"
    )
