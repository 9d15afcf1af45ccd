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

from serverlite.aws.local_client import LocalAws
from serverlite.invoker.async_queue import Attempt, Condition, QueuedEvent
from serverlite.invoker.types import InvokeRequest
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
            "functionArn": f"{fn.arn}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": event.attempts + (1 if condition == "Success" else 0),
        },
        "requestPayload": _json(event.payload),
    }
    if attempt is not None and attempt.status in ("ok", "error"):
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if attempt.function_error:
            context["functionError"] = attempt.function_error
        record["responseContext"] = context
        record["responsePayload"] = _json(attempt.payload)
    return record


def _json(payload: bytes) -> Any:
    if not payload:
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


class Destinations:
    def __init__(self, app: Application, aws: LocalAws, invoke: Any) -> None:
        self.app = app
        self.aws = aws
        self._invoke = invoke  # Invoker.invoke, for Lambda destinations

    async def finish(
        self, event: QueuedEvent, condition: Condition, attempt: Attempt | None
    ) -> None:
        fn = self.app.find_function(event.function)
        if fn is None:
            return
        config = fn.event_invoke_config
        target = None
        if config is not None:
            target = config.on_success if condition == "Success" else config.on_failure
        if target is not None:
            record = invocation_record(fn, event, condition, attempt, time.time())
            await self._deliver(fn, target, record, condition)
        if condition != "Success" and fn.dead_letter_queue is not None:
            await self._dead_letter(fn.dead_letter_queue, event, attempt)
        if condition != "Success" and target is None and fn.dead_letter_queue is None:
            log.warning(
                "%s: async event %s dropped (%s); configure a DeadLetterQueue or an "
                "OnFailure destination to keep such events",
                fn.name,
                event.request_id,
                condition,
            )

    async def _deliver(
        self,
        fn: FunctionSpec,
        target: DestinationSpec,
        record: dict[str, Any],
        condition: Condition,
    ) -> None:
        body = json.dumps(record)
        kind = target.arn.split(":")[2] if target.arn.startswith("arn:") else target.type.lower()
        if kind == "sqs":
            await self.aws.call(
                "sqs",
                "SendMessage",
                {"QueueUrl": self.aws.queue_url(target.arn), "MessageBody": body},
            )
        elif kind == "sns":
            await self.aws.call("sns", "Publish", {"TopicArn": target.arn, "Message": body})
        elif kind == "lambda":
            await self._invoke(
                InvokeRequest(function=target.arn, payload=body.encode(), invocation_type="Event")
            )
        elif kind == "events":
            outcome = "Success" if condition == "Success" else "Failure"
            await self.aws.call(
                "events",
                "PutEvents",
                {
                    "Entries": [
                        {
                            "Source": "lambda",
                            "DetailType": f"Lambda Function Invocation Result - {outcome}",
                            "Detail": body,
                            # The bus, then the function (LocalStack's AWS-validated
                            # snapshot test_lambda_destinations, event bus cases).
                            "Resources": [target.arn, f"{fn.arn}:$LATEST"],
                            "EventBusName": target.arn,
                        }
                    ]
                },
            )
        else:
            log.warning("%s: destination %s is not supported", fn.name, target.arn)

    async def _dead_letter(
        self, dlq: DestinationSpec, event: QueuedEvent, attempt: Attempt | None
    ) -> None:
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
        body = event.payload.decode("utf-8", "replace") or "{}"
        if dlq.arn.split(":")[2] == "sns":
            await self.aws.call(
                "sns",
                "Publish",
                {"TopicArn": dlq.arn, "Message": body, "MessageAttributes": attributes},
            )
        else:
            await self.aws.call(
                "sqs",
                "SendMessage",
                {
                    "QueueUrl": self.aws.queue_url(dlq.arn),
                    "MessageBody": body,
                    "MessageAttributes": attributes,
                },
            )
