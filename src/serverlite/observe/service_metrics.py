"""The metrics AWS services publish about the calls made to them, from each call the
endpoint serves (``dispatch/calls.py``): AWS/SQS NumberOfMessagesSent, SentMessageSize,
NumberOfMessagesReceived, NumberOfEmptyReceives, NumberOfMessagesDeleted (QueueName);
AWS/SNS NumberOfMessagesPublished, PublishSize (TopicName); AWS/DynamoDB
SuccessfulRequestLatency and SystemErrors (TableName, Operation) and UserErrors (the
account); S3's billed requests by class (observe/billing.py). DynamoDB's capacity
metrics and ThrottledRequests come from its throughput module. Calls serverlite makes
in-process (an SNS delivery to a queue, an event source mapping's receive) are not
counted yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from serverlite.observe import billing
from serverlite.observe.metrics import dims
from serverlite.observe.publishing import Publisher

# The endpoint's publisher while it serves a request (set by its middleware).
PUBLISHER: ContextVar[Publisher | None] = ContextVar("serverlite_metrics", default=None)
_THROTTLES = frozenset(("ProvisionedThroughputExceededException", "ThrottlingException"))
# The services whose calls ``record`` counts (the others' calls are not even timed).
SERVICES = frozenset(("SQS", "SNS", "DynamoDB", "S3"))


def record(
    publisher: Publisher,
    service: str,
    operation: str,
    request: Mapping[str, Any],
    result: Any,
    error: tuple[int, str] | None,
    latency_ms: float,
) -> None:
    if service == "SQS":
        _sqs(publisher, operation, request, result, error)
    elif service == "SNS":
        _sns(publisher, operation, request, error)
    elif service == "DynamoDB":
        _dynamodb(publisher, operation, request, error, latency_ms)
    elif service == "S3":
        _s3(publisher, operation, request)


def _name(value: Any, separator: str) -> str | None:
    return value.rstrip("/").rsplit(separator, 1)[-1] if isinstance(value, str) else None


def _sqs(
    publisher: Publisher,
    operation: str,
    request: Mapping[str, Any],
    result: Any,
    error: tuple[int, str] | None,
) -> None:
    queue = _name(request.get("QueueUrl"), "/")
    if queue is None or error is not None or not isinstance(result, Mapping):
        return
    sets = (dims(QueueName=queue),)

    def count(metric: str, value: float) -> None:
        publisher.record("AWS/SQS", metric, sets, value, "Count")

    if operation == "SendMessage":
        count("NumberOfMessagesSent", 1)
        body = request.get("MessageBody")
        sent_size = len(body.encode()) if isinstance(body, str) else 0
        publisher.record("AWS/SQS", "SentMessageSize", sets, float(sent_size), "Bytes")
    elif operation == "SendMessageBatch":
        sent = {e.get("Id") for e in result.get("Successful") or ()}
        count("NumberOfMessagesSent", float(len(sent)))
        for entry in request.get("Entries") or ():
            if entry.get("Id") in sent and isinstance(entry.get("MessageBody"), str):
                size = float(len(entry["MessageBody"].encode()))
                publisher.record("AWS/SQS", "SentMessageSize", sets, size, "Bytes")
    elif operation == "ReceiveMessage":
        received = len(result.get("Messages") or ())
        if received:
            count("NumberOfMessagesReceived", float(received))
        else:
            count("NumberOfEmptyReceives", 1)
    elif operation == "DeleteMessage":
        count("NumberOfMessagesDeleted", 1)
    elif operation == "DeleteMessageBatch":
        count("NumberOfMessagesDeleted", float(len(result.get("Successful") or ())))


def _sns(
    publisher: Publisher, operation: str, request: Mapping[str, Any], error: tuple[int, str] | None
) -> None:
    topic = _name(request.get("TopicArn"), ":")
    if topic is None or error is not None:
        return
    if operation not in ("Publish", "PublishBatch"):
        return
    sets = (dims(TopicName=topic),)
    batch = request.get("PublishBatchRequestEntries") or ()
    messages = [request] if operation == "Publish" else list(batch)
    publisher.record("AWS/SNS", "NumberOfMessagesPublished", sets, float(len(messages)), "Count")
    for message in messages:
        body = message.get("Message")
        size = float(len(body.encode())) if isinstance(body, str) else 0.0
        publisher.record("AWS/SNS", "PublishSize", sets, size, "Bytes")


def _dynamodb(
    publisher: Publisher,
    operation: str,
    request: Mapping[str, Any],
    error: tuple[int, str] | None,
    latency_ms: float,
) -> None:
    table = request.get("TableName")
    if error is not None and error[0] < 500 and error[1] not in _THROTTLES:
        publisher.record("AWS/DynamoDB", "UserErrors", ((),), 1.0, "Count")
        return
    if not isinstance(table, str):
        return
    sets = (dims(TableName=table, Operation=operation),)
    if error is None:
        publisher.record(
            "AWS/DynamoDB", "SuccessfulRequestLatency", sets, latency_ms, "Milliseconds"
        )
    elif error[1] in _THROTTLES:
        pass  # ThrottledRequests: DynamoDB's throughput module publishes it where it throttles
    else:
        publisher.record("AWS/DynamoDB", "SystemErrors", sets, 1.0, "Count")


def _s3(publisher: Publisher, operation: str, request: Mapping[str, Any]) -> None:
    price = billing.s3_price(operation)
    if price is not None:
        bucket = request.get("bucket")
        billing.count(publisher, price, bucket if isinstance(bucket, str) else "", 1.0)
