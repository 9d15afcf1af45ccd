"""Send a message to an ARN: an SQS queue, an SNS topic, a Lambda function (an
asynchronous invoke) or an EventBridge bus. Lambda's destinations and dead-letter
queues, EventBridge targets and SNS subscriptions all send through here.

Services are reached in-process through the local AWS client (the same handlers
boto3 reaches over HTTP). A failure is classified as AWS classifies it for
EventBridge's dead-letter queues: a target that does not exist, or a payload it
refuses, is not retried ("sent directly to the DLQ"); throttling and transient
errors are retried. A Step Functions state machine target starts an execution with
the message as its input (EventBridge rules, Scheduler schedules). A new kind of
target (Kinesis, CloudWatch Logs)
is one method and one line in ``ArnSender._targets`` (and its name in ``TARGET_SERVICES``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from serverlite.aws.backend import AwsClient, AwsError
from serverlite.errors import (
    FunctionNotFound,
    InvalidParameterValue,
    InvalidRequestContent,
    InvokeError,
    RequestTooLarge,
    TooManyRequests,
)
from serverlite.invoker.types import InvokeRequest, InvokeResult
from serverlite.sending import DELIVERED, Message, Outcome

log = logging.getLogger("serverlite.aws")

Invoke = Callable[[InvokeRequest], Awaitable[InvokeResult]]
_THROTTLING = ("Throttl", "TooManyRequests")
TARGET_SERVICES = ("sqs", "sns", "lambda", "events", "states")  # what send() reaches


def arn_service(arn: str) -> str:
    """arn:aws:sqs:region:account:name -> "sqs"; "" for what is not an ARN."""
    parts = arn.split(":")
    return parts[2] if len(parts) >= 6 and parts[0] == "arn" else ""


def queue_url(endpoint_url: str, queue_arn: str) -> str:
    """arn:aws:sqs:region:account:name -> the queue's URL on the local endpoint."""
    parts = queue_arn.split(":")
    return f"{endpoint_url.rstrip('/')}/{parts[4]}/{parts[5]}"


class ArnSender:
    def __init__(self, aws: AwsClient, invoke: Invoke, endpoint_url: str) -> None:
        self._aws = aws
        self._invoke = invoke
        self._endpoint_url = endpoint_url
        self._warned: set[str] = set()
        self._targets: dict[str, Callable[[str, Message], Awaitable[None]]] = {
            "sqs": self._sqs,
            "sns": self._sns,
            "lambda": self._lambda,
            "events": self._bus,
            "states": self._state_machine,
        }

    async def send(self, arn: str, message: Message) -> Outcome:
        target = self._targets.get(arn_service(arn))
        if target is None:
            return self._unsupported(arn)
        try:
            await target(arn, message)
        except InvokeError as exc:
            return invoke_failure(exc)
        except AwsError as exc:
            return aws_failure(exc)
        return DELIVERED

    async def _sqs(self, arn: str, message: Message) -> None:
        params: dict[str, Any] = {
            "QueueUrl": queue_url(self._endpoint_url, arn),
            "MessageBody": message.body,
        }
        if message.trace_header:
            params["MessageSystemAttributes"] = {
                "AWSTraceHeader": {"DataType": "String", "StringValue": message.trace_header}
            }
        await self._call("sqs", "SendMessage", {**params, **_extras(message)})

    async def _sns(self, arn: str, message: Message) -> None:
        params = {"TopicArn": arn, "Message": message.body, **_extras(message)}
        await self._call("sns", "Publish", params)

    async def _lambda(self, arn: str, message: Message) -> None:
        payload = message.body.encode()
        await self._invoke(
            InvokeRequest(
                function=arn,
                payload=payload,
                invocation_type="Event",
                trace_id=message.trace_header,
            )
        )

    async def _bus(self, arn: str, message: Message) -> None:
        entry = {
            "Source": message.source,
            "DetailType": message.detail_type,
            "Detail": message.body,
            "Resources": list(message.resources),
            "EventBusName": arn,
        }
        if message.trace_header:
            entry["TraceHeader"] = message.trace_header
        result = await self._call("events", "PutEvents", {"Entries": [entry]})
        for failed in result.get("Entries", ()):
            if failed.get("ErrorCode"):  # PutEvents answers 200 and fails the entry
                raise AwsError(str(failed["ErrorCode"]), str(failed.get("ErrorMessage", "")))

    async def _state_machine(self, arn: str, message: Message) -> None:
        params = {"stateMachineArn": arn, "input": message.body}
        if message.trace_header:  # a traced state machine continues the rule's trace
            params["traceHeader"] = message.trace_header
        await self._call("stepfunctions", "StartExecution", params)

    async def _call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if not self._aws.has(service):
            raise AwsError("ServiceUnavailable", f"serverlite does not emulate {service}", 503)
        return await self._aws.call(service, operation, params)

    def _unsupported(self, arn: str) -> Outcome:
        if arn not in self._warned:
            self._warned.add(arn)
            log.warning("serverlite cannot deliver to %s: messages for it are not delivered", arn)
        return Outcome(
            "failed", "INVALID_PARAMETER", f"serverlite does not emulate the target {arn}"
        )


def _extras(message: Message) -> dict[str, Any]:
    """The optional SendMessage / Publish parameters a message carries."""
    extras: dict[str, Any] = {}
    if message.attributes:
        extras["MessageAttributes"] = {k: dict(v) for k, v in message.attributes.items()}
    if message.group_id:
        extras["MessageGroupId"] = message.group_id
    if message.dedup_id:
        extras["MessageDeduplicationId"] = message.dedup_id
    return extras


def invoke_failure(exc: InvokeError) -> Outcome:
    if isinstance(exc, FunctionNotFound):
        return Outcome("failed", "NO_RESOURCE", exc.message)
    if isinstance(exc, TooManyRequests):
        return Outcome("retry", "THROTTLING", exc.message)
    if isinstance(exc, InvalidRequestContent):
        return Outcome("failed", "INVALID_JSON", exc.message)
    if isinstance(exc, RequestTooLarge | InvalidParameterValue):
        return Outcome("failed", "INVALID_PARAMETER", exc.message)
    text = f"{exc.code}: {exc.message}"
    return Outcome("retry" if exc.status >= 500 else "failed", "SDK_CLIENT_ERROR", text)


def aws_failure(exc: AwsError) -> Outcome:
    text = f"{exc.code}: {exc.message}"
    if any(word in exc.code for word in ("NonExistent", "NotFound", "DoesNotExist")):
        return Outcome("failed", "NO_RESOURCE", text)
    if exc.code == "ServiceUnavailable":  # the target's service is not emulated here
        return Outcome("failed", "NO_RESOURCE", text)
    if any(word in exc.code for word in _THROTTLING) or exc.status == 429:
        return Outcome("retry", "THROTTLING", text)
    if exc.status >= 500:
        return Outcome("retry", "INTERNAL_ERROR", text)
    return Outcome("failed", "INVALID_PARAMETER", text)
