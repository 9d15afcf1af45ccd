"""CreateStream, DeleteStream, DescribeStream(Summary), ListStreams, ListShards,
retention and tags."""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError

from .context import Context
from .names import NAME, invalid, sequence_number, shard_id, shard_index, validation
from .store import Shard, Stream

ON_DEMAND_SHARDS = 4  # an on-demand stream starts with four shards on AWS
MAX_SHARDS = 500  # the default shard quota per account in most regions
MIN_RETENTION, MAX_RETENTION = 24, 8760
MAX_TAGS = 50


def _int(body: dict[str, Any], field: str, where: str, low: int, high: int) -> int | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise validation(value, where, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise validation(value, where, f"Member must have value less than or equal to {high}")
    return value


def _tags(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise validation(value, "tags", "Member must be a map")
    if len(value) > MAX_TAGS:
        raise invalid(f"Failed to add tags. A stream can have at most {MAX_TAGS} tags.")
    return {str(k): str(v) for k, v in value.items()}


def create_stream(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    name = body.get("StreamName")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise validation(
            name, "streamName", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    details = body.get("StreamModeDetails") or {}
    mode = details.get("StreamMode", "PROVISIONED") if isinstance(details, dict) else None
    if mode not in ("PROVISIONED", "ON_DEMAND"):
        raise validation(
            mode,
            "streamModeDetails.streamMode",
            "Member must satisfy enum value set: [PROVISIONED, ON_DEMAND]",
        )
    count = _int(body, "ShardCount", "shardCount", 1, 10**6)
    if mode == "ON_DEMAND":
        if count is not None:
            raise invalid("ShardCount is not allowed for streams in ON_DEMAND mode.")
        count = ON_DEMAND_SHARDS
    elif count is None:
        # boto3 may leave ShardCount out; AWS then makes a provisioned stream of one shard.
        count = 1
    if count > MAX_SHARDS:
        raise AwsError(
            "LimitExceededException",
            f"This request would exceed the shard limit for the account {ctx.account_id} in "
            f"{ctx.region}. Current shard count for the account: 0. Limit: {MAX_SHARDS}. "
            f"Number of additional shards that would have resulted from this request: {count}.",
        )
    tags = _tags(body.get("Tags"))
    if ctx.store.get(name) is not None:
        raise AwsError(
            "ResourceInUseException",
            f"Stream {name} under account {ctx.account_id} already exists.",
        )
    ctx.store.create(name, mode, count, ctx.clock(), tags)
    return {}


def delete_stream(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    ctx.store.delete(ctx.stream(body))
    return {}


def _shard(ctx: Context, stream: Stream, shard: Shard) -> dict[str, Any]:
    return {
        "ShardId": shard_id(shard.index),
        "HashKeyRange": {
            "StartingHashKey": str(shard.start_hash),
            "EndingHashKey": str(shard.end_hash),
        },
        "SequenceNumberRange": {
            "StartingSequenceNumber": sequence_number(max(shard.first_seq, shard.trimmed + 1))
        },
    }


def _mode(stream: Stream) -> dict[str, str]:
    return {"StreamMode": stream.mode}


def describe_stream(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = _int(body, "Limit", "limit", 1, 10000) or 100
    stream = ctx.stream(body)
    shards = list(stream.shards)
    start = body.get("ExclusiveStartShardId")
    if start is not None:
        after = shard_index(start)
        shards = [s for s in shards if after is None or s.index > after]
    page = shards[:limit]
    return {
        "StreamDescription": {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "StreamStatus": "ACTIVE",
            "StreamModeDetails": _mode(stream),
            "Shards": [_shard(ctx, stream, s) for s in page],
            "HasMoreShards": len(shards) > limit,
            "RetentionPeriodHours": stream.retention_hours,
            "StreamCreationTimestamp": stream.created,
            "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
            "EncryptionType": "NONE",
        }
    }


def describe_stream_summary(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    stream = ctx.stream(body)
    return {
        "StreamDescriptionSummary": {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "StreamStatus": "ACTIVE",
            "StreamModeDetails": _mode(stream),
            "RetentionPeriodHours": stream.retention_hours,
            "StreamCreationTimestamp": stream.created,
            "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
            "EncryptionType": "NONE",
            "OpenShardCount": len(stream.shards),
            "ConsumerCount": 0,
        }
    }


def list_streams(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = _int(body, "Limit", "limit", 1, 10000) or 100
    names = ctx.store.names()
    token = body.get("NextToken")
    start = token if token is not None else body.get("ExclusiveStartStreamName")
    if start is not None:
        names = [n for n in names if n > str(start)]
    page = names[:limit]
    summaries = []
    for name in page:
        stream = ctx.store.get(name)
        assert stream is not None
        summaries.append(
            {
                "StreamName": name,
                "StreamARN": stream.arn,
                "StreamStatus": "ACTIVE",
                "StreamModeDetails": _mode(stream),
                "StreamCreationTimestamp": stream.created,
            }
        )
    result: dict[str, Any] = {
        "StreamNames": page,
        "HasMoreStreams": len(names) > limit,
        "StreamSummaries": summaries,
    }
    if len(names) > limit:
        result["NextToken"] = page[-1]
    return result


def list_shards(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = _int(body, "MaxResults", "maxResults", 1, 10000) or 1000
    token = body.get("NextToken")
    if token is not None:
        if body.get("StreamName") is not None or body.get("StreamARN") is not None:
            raise invalid("NextToken and StreamName cannot be provided together.")
        name, _, after = str(token).partition("|")
        stream = ctx.store.get(name)
        if stream is None:
            raise invalid("Invalid NextToken.")
        start: int | None = int(after) if after.isdigit() else None
    else:
        stream = ctx.stream(body)
        start = shard_index(body.get("ExclusiveStartShardId"))
    shards = [s for s in stream.shards if start is None or s.index > start]
    page = shards[:limit]
    result: dict[str, Any] = {"Shards": [_shard(ctx, stream, s) for s in page]}
    if len(shards) > limit:
        result["NextToken"] = f"{stream.name}|{page[-1].index}"
    return result


def _retention(body: dict[str, Any]) -> int:
    hours = body.get("RetentionPeriodHours")
    if not isinstance(hours, int) or isinstance(hours, bool):
        raise validation(hours, "retentionPeriodHours", "Member must not be null")
    if hours < MIN_RETENTION:
        raise invalid(
            f"Minimum allowed retention period is {MIN_RETENTION} hours. Requested retention "
            f"period ({hours} hours) is too short."
        )
    if hours > MAX_RETENTION:
        raise invalid(
            f"Maximum allowed retention period is {MAX_RETENTION} hours. Requested retention "
            f"period ({hours} hours) is too long."
        )
    return hours


def increase_stream_retention_period(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    stream = ctx.stream(body)
    hours = _retention(body)
    if hours < stream.retention_hours:
        raise invalid(
            f"Requested retention period ({hours} hours) for stream {stream.name} can not be "
            f"shorter than existing retention period ({stream.retention_hours} hours). Use "
            "DecreaseRetentionPeriod API."
        )
    ctx.store.update(stream, retention_hours=hours)
    return {}


def decrease_stream_retention_period(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    stream = ctx.stream(body)
    hours = _retention(body)
    if hours > stream.retention_hours:
        raise invalid(
            f"Requested retention period ({hours} hours) for stream {stream.name} can not be "
            f"longer than existing retention period ({stream.retention_hours} hours). Use "
            "IncreaseRetentionPeriod API."
        )
    ctx.store.update(stream, retention_hours=hours)
    ctx.store.trim(ctx.clock())
    return {}


def add_tags_to_stream(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    stream = ctx.stream(body)
    tags = {**stream.tags, **_tags(body.get("Tags"))}
    if len(tags) > MAX_TAGS:
        raise invalid(f"Failed to add tags. A stream can have at most {MAX_TAGS} tags.")
    ctx.store.update(stream, tags=tags)
    return {}


def remove_tags_from_stream(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    stream = ctx.stream(body)
    keys = body.get("TagKeys")
    if not isinstance(keys, list):
        raise validation(keys, "tagKeys", "Member must not be null")
    ctx.store.update(stream, tags={k: v for k, v in stream.tags.items() if k not in keys})
    return {}


def list_tags_for_stream(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = _int(body, "Limit", "limit", 1, 50) or 50
    stream = ctx.stream(body)
    keys = sorted(stream.tags)
    start = body.get("ExclusiveStartTagKey")
    if start is not None:
        keys = [k for k in keys if k > str(start)]
    page = keys[:limit]
    return {
        "Tags": [{"Key": k, "Value": stream.tags[k]} for k in page],
        "HasMoreTags": len(keys) > limit,
    }
