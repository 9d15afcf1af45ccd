"""Subscription filters' payloads and batching (no I/O)."""

from __future__ import annotations

import base64
import gzip
import json

from serverlite.aws.logs.subscription_delivery import (
    MAX_EVENTS,
    MAX_PAYLOAD_BYTES,
    chunks,
    partition_key,
)
from serverlite.aws.logs.subscriptions import LogEvent, data_message, lambda_event


def test_lambda_event_is_base64_of_gzip_of_the_data_message() -> None:
    document = data_message("123456789012", "/g", "s", "f", [LogEvent("1", 5, "hello")])
    event = lambda_event(document)
    assert list(event) == ["awslogs"] and list(event["awslogs"]) == ["data"]  # type: ignore[arg-type]
    data = event["awslogs"]["data"]  # type: ignore[index]
    decoded = json.loads(gzip.decompress(base64.b64decode(data)))
    assert decoded == {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/g",
        "logStream": "s",
        "subscriptionFilters": ["f"],
        "logEvents": [{"id": "1", "timestamp": 5, "message": "hello"}],
    }


def test_chunks_keep_payloads_within_the_limits_and_in_order() -> None:
    big = [LogEvent(str(i), i, "x" * 100_000) for i in range(6)]
    runs = list(chunks(big))
    assert [e for run in runs for e in run] == big
    assert all(sum(len(e.message) for e in run) <= MAX_PAYLOAD_BYTES for run in runs)
    assert len(runs) == 3
    many = [LogEvent(str(i), i, "") for i in range(3 * MAX_EVENTS)]
    sizes = [len(run) for run in chunks(many)]
    assert sum(sizes) == len(many) and max(sizes) <= MAX_EVENTS
    assert list(chunks([])) == []


def test_partition_keys_by_log_stream_or_random() -> None:
    assert partition_key("ByLogStream", "a") == partition_key("ByLogStream", "a")
    assert partition_key("ByLogStream", "a") != partition_key("ByLogStream", "b")
    assert len(partition_key("ByLogStream", "x" * 512)) <= 256  # Kinesis' limit on keys
    assert partition_key("Random", "a", random=lambda: "r1") == "r1"
