"""Sending to targets: Lambda (an async invoke), SQS, SNS and event buses, and the
dead-letter queue when a delivery gives up.

SQS and SNS are reached in-process through the local AWS client (the same
handlers boto3 reaches over HTTP). A failure is classified as AWS classifies it:
a target that does not exist, or a payload it refuses, is not retried ("sent
directly to the DLQ"); throttling and transient errors are retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from serverlite.aws.json_protocol import AwsError
from serverlite.errors import (
    FunctionNotFound,
    InvalidRequestContent,
    InvokeError,
    RequestTooLarge,
    TooManyRequests,
)
from serverlite.invoker.types import InvokeRequest, InvokeResult

from .names import arn_resource, arn_service

log = logging.getLogger("serverlite.events")


@dataclass(frozen=True)
class Failure:
    code: str  # AWS's DLQ ERROR_CODE: NO_RESOURCE, THROTTLING, INVALID_JSON, ...
    message: str
    retriable: bool


class LocalClient(Protocol):
    """``serverlite.aws.local_client.LocalAws``: the emulated services, in-process."""

    def has(self, service: str) -> bool: ...

    async def call(
        self, service: str, operation: str, params: dict[str, Any]
    ) -> dict[str, Any]: ...

    def queue_url(self, queue_arn: str) -> str: ...


Invoke = Callable[[InvokeRequest], Awaitable[InvokeResult]]
Forward = Callable[[str, str, int], int]  # (bus, event, hops) -> deliveries routed


class TargetSenders:
    def __init__(self, invoke: Invoke, aws: LocalClient | None, forward: Forward) -> None:
        self._invoke = invoke
        self._aws = aws
        self._forward = forward
        self._warned: set[str] = set()

    async def send(self, target: dict[str, Any], payload: str, event: str) -> Failure | None:
        arn = str(target["arn"])
        service = arn_service(arn)
        try:
            if service == "lambda":
                await self._invoke(
                    InvokeRequest(function=arn, payload=payload.encode(), invocation_type="Event")
                )
            elif service == "sqs":
                params: dict[str, Any] = {"QueueUrl": self._queue_url(arn), "MessageBody": payload}
                if target.get("group"):
                    params["MessageGroupId"] = target["group"]
                await self._call("sqs", "SendMessage", params)
            elif service == "sns":
                await self._call("sns", "Publish", {"TopicArn": arn, "Message": payload})
            elif service == "events":
                return self._to_bus(target, arn, event)
            else:
                return self._unsupported(arn)
        except InvokeError as exc:
            return _invoke_failure(exc)
        except AwsError as exc:
            return _aws_failure(exc)
        return None

    def _to_bus(self, target: dict[str, Any], arn: str, event: str) -> Failure | None:
        bus = arn_resource(arn).partition("event-bus/")[2]
        try:
            self._forward(bus, event, int(target.get("hops", 0)) + 1)
        except LookupError as exc:
            return Failure("NO_RESOURCE", str(exc), retriable=False)
        except OverflowError as exc:
            return Failure("THIRD_REGION_HOP_DETECTED", str(exc), retriable=False)
        return None

    def _unsupported(self, arn: str) -> Failure:
        if arn not in self._warned:
            self._warned.add(arn)
            log.warning("serverlite cannot deliver to %s: events for it are not delivered", arn)
        return Failure("INVALID_PARAMETER", f"serverlite does not emulate the target {arn}", False)

    def _queue_url(self, arn: str) -> str:
        if self._aws is None:
            raise AwsError("ServiceUnavailable", "no local AWS client", 503)
        return self._aws.queue_url(arn)

    async def _call(self, service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if self._aws is None or not self._aws.has(service):
            raise AwsError("ServiceUnavailable", f"serverlite does not emulate {service}", 503)
        return await self._aws.call(service, operation, params)

    async def dead_letter(self, dlq_arn: str, body: str, attributes: dict[str, str]) -> bool:
        """Send a failed event to an SQS dead-letter queue; False if that failed too."""
        message_attributes = {
            key: {"DataType": "Number" if value.isdigit() else "String", "StringValue": value}
            for key, value in attributes.items()
            if value
        }
        try:
            await self._call(
                "sqs",
                "SendMessage",
                {
                    "QueueUrl": self._queue_url(dlq_arn),
                    "MessageBody": body,
                    "MessageAttributes": message_attributes,
                },
            )
        except AwsError as exc:
            log.warning(
                "could not send a failed event to the dead-letter queue %s: %s: %s",
                dlq_arn,
                exc.code,
                exc.message,
            )
            return False
        return True


def _invoke_failure(exc: InvokeError) -> Failure:
    if isinstance(exc, FunctionNotFound):
        return Failure("NO_RESOURCE", exc.message, retriable=False)
    if isinstance(exc, TooManyRequests):
        return Failure("THROTTLING", exc.message, retriable=True)
    if isinstance(exc, InvalidRequestContent):
        return Failure("INVALID_JSON", exc.message, retriable=False)
    if isinstance(exc, RequestTooLarge):
        return Failure("INVALID_PARAMETER", exc.message, retriable=False)
    return Failure("SDK_CLIENT_ERROR", f"{exc.code}: {exc.message}", retriable=True)


def _aws_failure(exc: AwsError) -> Failure:
    text = f"{exc.code}: {exc.message}"
    if "NonExistent" in exc.code or "NotFound" in exc.code or "DoesNotExist" in exc.code:
        return Failure("NO_RESOURCE", text, retriable=False)
    if exc.code == "ServiceUnavailable":
        return Failure("NO_RESOURCE", text, retriable=False)
    if "Throttl" in exc.code or exc.status == 429:
        return Failure("THROTTLING", text, retriable=True)
    if exc.status >= 500:
        return Failure("INTERNAL_ERROR", text, retriable=True)
    return Failure("INVALID_PARAMETER", text, retriable=False)
