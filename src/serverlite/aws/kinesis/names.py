"""Names Kinesis gives: stream ARNs, shard ids, hash key ranges, sequence numbers."""

from __future__ import annotations

import hashlib
import re

from serverlite.aws.backend import AwsError

HASH_SPACE = 2**128  # partition keys are MD5-hashed onto 0 .. 2^128 - 1
SEQUENCE_BASE = 49 * 10**54  # AWS's sequence numbers are 56-digit decimal strings
NAME = re.compile(r"[a-zA-Z0-9_.-]{1,128}")


def invalid(message: str) -> AwsError:
    return AwsError("InvalidArgumentException", message)


def validation(value: object, where: str, rule: str) -> AwsError:
    return AwsError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
        f"constraint: {rule}",
    )


def stream_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{name}"


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def shard_index(shard: object) -> int | None:
    if not isinstance(shard, str):
        return None
    found = re.fullmatch(r"(?:shardId-)?(\d{1,12})", shard)
    return int(found.group(1)) if found else None


def hash_ranges(count: int) -> list[tuple[int, int]]:
    """``count`` equal ranges covering the hash space, as CreateStream splits it."""
    step = HASH_SPACE // count
    return [
        (i * step, HASH_SPACE - 1 if i == count - 1 else (i + 1) * step - 1) for i in range(count)
    ]


def hash_key(partition_key: str) -> int:
    # Kinesis maps a partition key to a shard by its MD5, as AWS documents.
    return int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)


def sequence_number(seq: int) -> str:
    return str(SEQUENCE_BASE + seq)


def parse_sequence_number(text: object) -> int | None:
    if not isinstance(text, str) or not text.isdigit():
        return None
    return int(text) - SEQUENCE_BASE
