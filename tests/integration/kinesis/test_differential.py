"""Differential testing: the same generated Kinesis operations against serverlite and
against moto's server, compared result by result.

Hypothesis generates streams of 1-4 shards and sequences of PutRecord / PutRecords
(partition keys, explicit hash keys in and out of range), reads from every iterator
type, ListShards and DescribeStream. Both must agree on which shard every record goes
to, what each shard holds in which order, the shards' hash key ranges, and every error
code. Sequence numbers are compared by their order only (each service has its own
numbering; moto's are per shard), and error messages are moto's own wording.
PutRecords with an out-of-range ExplicitHashKey is not generated: AWS refuses the
whole request (a per-entry failure is only throughput or an internal error), and so
does serverlite; moto keeps the entries before the bad one. Empty Data (AWS takes it)
is not generated: moto's server fails on it with a 500, as on the largest hash key
(2^128 - 1, test_kinesis.py puts one).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .conftest import Endpoint, client

pytestmark = pytest.mark.integration

_streams = itertools.count()

keys = st.text(alphabet="abcdefghij0123456789-", min_size=1, max_size=12)
in_range = st.one_of(st.none(), st.integers(min_value=0, max_value=2**128 - 2).map(str))
explicit = st.one_of(in_range, st.just(str(2**128)))
record = st.fixed_dictionaries(
    {"Data": st.binary(min_size=1, max_size=20), "PartitionKey": keys, "ExplicitHashKey": explicit}
)
valid_record = st.fixed_dictionaries(
    {"Data": st.binary(min_size=1, max_size=20), "PartitionKey": keys, "ExplicitHashKey": in_range}
)
operation = st.one_of(
    st.tuples(st.just("put"), record),
    st.tuples(st.just("puts"), st.lists(valid_record, min_size=1, max_size=5)),
    st.tuples(st.just("read"), st.sampled_from(["TRIM_HORIZON", "LATEST", "AT", "AFTER"])),
)


def _clean(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if v is not None}


def run(kinesis: Any, name: str, shards: int, ops: list[tuple[str, Any]]) -> list[Any]:
    """What a client sees, with each service's own sequence numbers made positional."""
    out: list[Any] = []
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    out.append([(s["ShardId"], s["HashKeyRange"]) for s in described["Shards"]])
    sequences: list[str] = []
    placed: list[tuple[str, str]] = []  # (shard, sequence number) per record put
    for kind, arg in ops:
        try:
            if kind == "put":
                answer = kinesis.put_record(StreamName=name, **_clean(arg))
                sequences.append(answer["SequenceNumber"])
                placed.append((answer["ShardId"], answer["SequenceNumber"]))
                out.append(("put", answer["ShardId"]))
            elif kind == "puts":
                answer = kinesis.put_records(StreamName=name, Records=[_clean(a) for a in arg])
                sequences += [r["SequenceNumber"] for r in answer["Records"]]
                placed += [(r["ShardId"], r["SequenceNumber"]) for r in answer["Records"]]
                out.append(
                    ("puts", answer["FailedRecordCount"], [r["ShardId"] for r in answer["Records"]])
                )
            else:
                out.append(("read", arg, read(kinesis, name, described["Shards"], arg, placed)))
        except ClientError as error:
            out.append(("error", kind, error.response["Error"]["Code"]))
    # Within a shard, every sequence number is larger than the ones put before it.
    for shard in {s for s, _ in placed}:
        numbers = [int(n) for s, n in placed if s == shard]
        out.append(("increasing", shard, numbers == sorted(set(numbers))))
    out.append(("listed", [s["ShardId"] for s in kinesis.list_shards(StreamName=name)["Shards"]]))
    return out


def read(
    kinesis: Any, name: str, shards: list[dict[str, Any]], kind: str, placed: list[tuple[str, str]]
) -> Any:
    seen = []
    for shard in shards:
        extra: dict[str, Any] = {}
        iterator_type = kind
        if kind in ("AT", "AFTER"):
            # A sequence number is its shard's: read from the first record's shard.
            if not placed or placed[0][0] != shard["ShardId"]:
                continue
            iterator_type = f"{kind}_SEQUENCE_NUMBER"
            extra["StartingSequenceNumber"] = placed[0][1]
        try:
            iterator = kinesis.get_shard_iterator(
                StreamName=name, ShardId=shard["ShardId"], ShardIteratorType=iterator_type, **extra
            )["ShardIterator"]
        except ClientError as error:
            seen.append((shard["ShardId"], error.response["Error"]["Code"]))
            continue
        records = kinesis.get_records(ShardIterator=iterator)["Records"]
        seen.append((shard["ShardId"], [(r["PartitionKey"], r["Data"]) for r in records]))
    return seen


@pytest.fixture(scope="module")
def both(endpoint: Endpoint, moto_url: str) -> tuple[Any, Any]:
    return client(endpoint.url), client(moto_url)


@settings(
    max_examples=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: failures show at once
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(shards=st.integers(min_value=1, max_value=4), ops=st.lists(operation, max_size=8))
def test_serverlite_agrees_with_moto(both: tuple[Any, Any], shards: int, ops: list[Any]) -> None:
    ours, theirs = both
    name = f"diff-{next(_streams)}"
    mine, moto = run(ours, name, shards, ops), run(theirs, name, shards, ops)
    assert mine == moto, (shards, ops)
