"""Where asynchronous invocations end: destinations and dead-letter queues.

On success, the on-success destination gets an invocation record; on failure
(``RetriesExhausted``, ``EventAgeExceeded``) the on-failure destination gets one and
the function's DeadLetterQueue gets the original event with ``RequestID``,
``ErrorCode`` and ``ErrorMessage`` attributes, as Lambda sends them.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from serverlite.invoker.async_queue import Attempt, Condition, QueuedEvent
from serverlite.observe.publishing import Publisher
from serverlite.sending import Message, TargetSender
from serverlite.template.model import Application, DestinationSpec, FunctionSpec

log = logging.getLogger("serverlite.async")
DLQ_MESSAGE_LIMIT = 1024


def invocation_record(
    fn: FunctionSpec, event: QueuedEvent, condition: Condition, attempt: Attempt | None, now: float
) -> dict[str, Any]:
    """Lambda's invocation record (version 1.0) for destinations."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
        + f".{int(now * 1000) % 1000:03d}Z",
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": f"{fn.arn}:{_qualifier(event)}",
            "condition": condition,
            "approximateInvokeCount": event.attempts + (1 if condition == "Success" else 0),
        },
        "requestPayload": _json(event.payload),
    }
    if attempt is not None and attempt.status in ("ok", "error"):
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": attempt.executed_version}
        if attempt.function_error:
            context["functionError"] = attempt.function_error
        record["responseContext"] = context
        record["responsePayload"] = _json(attempt.payload)
    return record


def _qualifier(event: QueuedEvent) -> str:
    """The qualifier the event was invoked with (``name:live``), else $LATEST."""
    return event.function.partition(":")[2] or "$LATEST"


def _json(payload: bytes) -> Any:
    if not payload:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


class Destinations:
    def __init__(
        self, app: Application, sender: TargetSender, publisher: Publisher | None = None
    ) -> None:
        self.app = app
        self.sender = sender  # serverlite.aws.arn_sender.ArnSender under `serverlite up`
        self.publisher = publisher or Publisher(None)

    async def finish(
        self, event: QueuedEvent, condition: Condition, attempt: Attempt | None
    ) -> None:
        fn = self.app.find_function(event.function.partition(":")[0])
        if fn is None:
            return
        if condition != "Success":
            # Lambda counts every event it gives up on, sent to a DLQ or destination or not.
            self.publisher.lambda_count(fn.name, "AsyncEventsDropped")
        config = fn.event_invoke_config
        target = None
        if config is not None:
            target = config.on_success if condition == "Success" else config.on_failure
        if target is not None:
            record = invocation_record(fn, event, condition, attempt, time.time())
            outcome = "Success" if condition == "Success" else "Failure"
            message = Message(
                json.dumps(record),
                # an EventBridge destination gets the record as the Detail of this event
                source="lambda",
                detail_type=f"Lambda Function Invocation Result - {outcome}",
                # The bus, then the function (LocalStack's AWS-validated snapshot
                # test_lambda_destinations, event bus cases).
                resources=(target.arn, f"{fn.arn}:{_qualifier(event)}"),
            )
            if not await self._send(fn, target, message):
                self.publisher.lambda_count(fn.name, "DestinationDeliveryFailures")
        dlq = fn.dead_letter_queue
        if condition != "Success" and dlq is not None:
            delivered = await self._send(fn, dlq, _dead_letter(event, attempt))
            if not delivered:
                self.publisher.lambda_count(fn.name, "DeadLetterErrors")
        if condition != "Success" and target is None and fn.dead_letter_queue is None:
            log.warning(
                "%s: async event %s dropped (%s); configure a DeadLetterQueue or an "
                "OnFailure destination to keep such events",
                fn.name,
                event.request_id,
                condition,
            )

    async def _send(self, fn: FunctionSpec, target: DestinationSpec, message: Message) -> bool:
        outcome = await self.sender.send(target.arn, message)
        if not outcome.delivered:
            log.warning("%s: nothing sent to %s: %s", fn.name, target.arn, outcome.message)
        return outcome.delivered


def _dead_letter(event: QueuedEvent, attempt: Attempt | None) -> Message:
    """The original event, with the attributes Lambda gives a dead-letter message."""
    message = ""
    if attempt is not None and attempt.payload:
        error = _json(attempt.payload)
        if isinstance(error, dict):
            message = str(error.get("errorMessage", ""))
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": event.request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {
            "DataType": "String",
            "StringValue": message[:DLQ_MESSAGE_LIMIT] or "-",
        },
    }
    return Message(event.payload.decode("utf-8", "replace") or "{}", attributes)
