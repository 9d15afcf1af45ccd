"""Kinesis Data Streams, wire-compatible with botocore's ``kinesis`` (JSON 1.1,
``Kinesis_20131202``; botocore and the aws CLI send JSON, not the CBOR of the Java SDK).

    names      stream ARNs, shard ids, hash key ranges, sequence numbers
    store      SQLite: streams, shards, records (one transaction per put)
    ops_*      the operations: streams, records
    provision  AWS::Kinesis::Stream resources of the template
    service    the backend
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from serverlite.aws.backend import Backend, ServiceContext


def create(context: ServiceContext) -> Backend:
    """The backend; imported here, so importing the package alone stays cheap."""
    from .service import Kinesis

    return Kinesis(context)
