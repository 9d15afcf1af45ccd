"""Message operations: SendMessage(Batch), ReceiveMessage, DeleteMessage(Batch),
ChangeMessageVisibility(Batch)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import batch, errors, fifo, message_input
from .engine import SqsEngine
from .message_input import NewMessage
from .message_store import Enqueued
from .receipts import Receipt, decode
from .records import Queue
from .views import api_message

MAX_RECEIVE = 10
MAX_WAIT_S = 20
MAX_VISIBILITY_S = 43200
MAX_BATCH_BYTES = 1024 * 1024

Params = Mapping[str, Any]
Result = dict[str, Any]


def _prepare(queue: Queue, params: Params) -> tuple[NewMessage, str | None]:
    message = message_input.parse(
        params, fifo=queue.fifo, max_size=queue.number("MaximumMessageSize")
    )
    dedup = fifo.dedup_id(message, queue.content_based_deduplication) if queue.fifo else None
    return message, dedup


def _sent(queue: Queue, message: NewMessage, enqueued: Enqueued) -> Result:
    result: Result = {"MD5OfMessageBody": message.md5_of_body, "MessageId": enqueued.message_id}
    if message.md5_of_attributes is not None:
        result["MD5OfMessageAttributes"] = message.md5_of_attributes
    if message.md5_of_system_attributes is not None:
        result["MD5OfMessageSystemAttributes"] = message.md5_of_system_attributes
    if queue.fifo:
        result["SequenceNumber"] = fifo.sequence_number(enqueued.seq)
    return result


def send_message(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    prepared = _prepare(queue, params)
    (enqueued,) = engine.send(queue, [prepared])
    return _sent(queue, prepared[0], enqueued)


def send_message_batch(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    entries = batch.check_entries(params, "SendMessageBatchRequestEntry")
    total = sum(_approximate_size(entry) for entry in entries)
    if total > MAX_BATCH_BYTES:
        raise errors.SqsError(
            "BatchRequestTooLong",
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. "
            f"You have sent {total} bytes.",
        )
    ready: list[tuple[str, tuple[NewMessage, str | None]]] = []
    failed: list[Result] = []
    for entry in entries:
        try:
            ready.append((entry["Id"], _prepare(queue, entry)))
        except errors.SqsError as exc:
            failed.append(batch.failure(entry["Id"], exc))
    enqueued = engine.send(queue, [prepared for _, prepared in ready]) if ready else []
    successful = [
        {"Id": entry_id, **_sent(queue, prepared[0], done)}
        for (entry_id, prepared), done in zip(ready, enqueued, strict=True)
    ]
    return {"Successful": successful, "Failed": failed}


def _approximate_size(entry: Mapping[str, Any]) -> int:
    body = entry.get("MessageBody")
    size = len(body.encode("utf-8", "replace")) if isinstance(body, str) else 0
    for name, value in (entry.get("MessageAttributes") or {}).items():
        size += len(str(name)) + sum(len(str(v)) for v in dict(value).values())
    return size


async def receive_message(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    limit = _bounded(params, "MaxNumberOfMessages", 1, 1, MAX_RECEIVE)
    visibility = _bounded(
        params, "VisibilityTimeout", queue.visibility_timeout, 0, MAX_VISIBILITY_S
    )
    wait = _bounded(
        params, "WaitTimeSeconds", queue.number("ReceiveMessageWaitTimeSeconds"), 0, MAX_WAIT_S
    )
    system = [
        *(params.get("AttributeNames") or []),
        *(params.get("MessageSystemAttributeNames") or []),
    ]
    selectors = params.get("MessageAttributeNames") or []
    messages = await engine.receive(queue, limit, visibility, wait)
    if not messages:
        return {}
    return {"Messages": [api_message(m, queue.fifo, system, selectors) for m in messages]}


def _bounded(params: Params, name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        if name == "WaitTimeSeconds":  # AWS words this one differently
            reason = f"Must be >= {low} and <= {high}, if provided."
        else:
            reason = f"Must be between {low} and {high}, if provided."
        raise errors.invalid_value(name, value, reason)
    return value


def delete_message(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    handle = params.get("ReceiptHandle")
    if not handle:
        raise errors.missing_parameter("ReceiptHandle")
    engine.delete(queue, [_receipt(queue, handle)])
    return {}


def delete_message_batch(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    entries = batch.check_entries(params, "DeleteMessageBatchRequestEntry")
    receipts, successful, failed = [], [], []
    for entry in entries:
        try:
            receipts.append(_receipt(queue, entry.get("ReceiptHandle", "")))
        except errors.SqsError as exc:
            failed.append(batch.failure(entry["Id"], exc))
        else:
            successful.append({"Id": entry["Id"]})
    engine.delete(queue, receipts)
    return {"Successful": successful, "Failed": failed}


def change_message_visibility(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    _change_one(engine, queue, params)
    return {}


def change_message_visibility_batch(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    entries = batch.check_entries(params, "ChangeMessageVisibilityBatchRequestEntry")
    successful, failed = [], []
    for entry in entries:
        try:
            _change_one(engine, queue, entry)
        except errors.SqsError as exc:
            failed.append(batch.failure(entry["Id"], exc))
        else:
            successful.append({"Id": entry["Id"]})
    return {"Successful": successful, "Failed": failed}


def _receipt(queue: Queue, handle: Any) -> Receipt:
    receipt = decode(handle)
    if receipt.queue_id != queue.id:  # a handle from another queue (or a deleted one)
        raise errors.receipt_handle_invalid(handle)
    return receipt


def _change_one(engine: SqsEngine, queue: Queue, params: Params) -> None:
    handle = params.get("ReceiptHandle")
    if not handle:
        raise errors.missing_parameter("ReceiptHandle")
    timeout = params.get("VisibilityTimeout")
    if timeout is None:
        raise errors.missing_parameter("VisibilityTimeout")
    if (
        not isinstance(timeout, int)
        or isinstance(timeout, bool)
        or not 0 <= timeout <= MAX_VISIBILITY_S
    ):
        raise errors.invalid_value(
            "VisibilityTimeout",
            timeout,
            f"VisibilityTimeout must be an integer between 0 and {MAX_VISIBILITY_S}",
        )
    if not engine.change_visibility(queue, _receipt(queue, handle), timeout):
        raise errors.invalid_value(
            "ReceiptHandle",
            handle,
            "Message does not exist or is not available for visibility timeout change.",
        )
