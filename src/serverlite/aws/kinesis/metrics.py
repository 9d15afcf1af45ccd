"""Kinesis Data Streams' stream-level ``AWS/Kinesis`` metrics (Kinesis Developer Guide,
"Monitoring the Amazon Kinesis Data Streams service with Amazon CloudWatch"), by
``StreamName``, for every call the stream serves: a client's, and Lambda's event source
mapping polling it (AWS counts those GetRecords too).

- PutRecord: IncomingRecords, IncomingBytes, PutRecord.Success, PutRecord.Bytes.
- PutRecords: IncomingRecords, IncomingBytes, PutRecords.Success,
  PutRecords.TotalRecords, PutRecords.SuccessfulRecords, PutRecords.FailedRecords,
  PutRecords.Bytes.
- GetRecords: GetRecords.Success, GetRecords.Records, GetRecords.Bytes,
  GetRecords.IteratorAgeMilliseconds (the age of the last record returned; 0 when the
  call returned none).

Not an AWS metric: each record's PUT payload units (25 KB chunks of its data), for
``serverlite cost`` (observe/billing.py).

Not published: the .Latency metrics, Read/WriteProvisionedThroughputExceeded (no shard
limits are enforced here) and the enhanced (shard-level) metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from serverlite.observe import billing

KINESIS = "AWS/Kinesis"


class KinesisMetrics:
    def __init__(self, publisher: Any) -> None:
        self.publisher = publisher if getattr(publisher, "enabled", False) else None

    def _record(self, stream: str, items: Sequence[tuple[str, float, str]]) -> None:
        publisher = self.publisher
        if publisher is None:
            return
        sets = ((("StreamName", stream),),)
        for metric, value, unit in items:
            publisher.record(KINESIS, metric, sets, value, unit)

    def put(self, stream: str, sizes: Sequence[int], batch: bool) -> None:
        total = float(sum(sizes))
        items = [
            ("IncomingRecords", float(len(sizes)), "Count"),
            ("IncomingBytes", total, "Bytes"),
        ]
        if batch:
            items += [
                ("PutRecords.Success", 1.0, "Count"),
                ("PutRecords.TotalRecords", float(len(sizes)), "Count"),
                ("PutRecords.SuccessfulRecords", float(len(sizes)), "Count"),
                ("PutRecords.FailedRecords", 0.0, "Count"),
                ("PutRecords.Bytes", total, "Bytes"),
            ]
        else:
            items += [("PutRecord.Success", 1.0, "Count"), ("PutRecord.Bytes", total, "Bytes")]
        self._record(stream, items)
        units = sum(billing.chunks(size, billing.PAYLOAD_UNIT) for size in sizes)
        billing.count(self.publisher, "kinesis_put_payload_units", stream, float(units))

    def got(self, stream: str, sizes: Sequence[int], age_ms: float) -> None:
        self._record(
            stream,
            [
                ("GetRecords.Success", 1.0, "Count"),
                ("GetRecords.Records", float(len(sizes)), "Count"),
                ("GetRecords.Bytes", float(sum(sizes)), "Bytes"),
                ("GetRecords.IteratorAgeMilliseconds", age_ms, "Milliseconds"),
            ],
        )
