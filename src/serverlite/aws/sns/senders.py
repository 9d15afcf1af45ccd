"""One delivery attempt per protocol: SQS, Lambda, HTTP(S) on loopback.

Each attempt ends in an ``Outcome``: delivered, a server-side error (retried by the
subscription's delivery policy), or a client-side error (never retried; AWS's
examples are a deleted queue or function, or an endpoint that refuses the message).
HTTP(S): a 2xx answer is delivered, 429 and 5xx (and no answer) are retried, any
other status is a client-side error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from serverlite.aws.json_protocol import AwsError
from serverlite.aws.local_client import LocalAws
from serverlite.errors import InvokeError
from serverlite.invoker.types import InvokeRequest, InvokeResult

from . import envelope, names
from .records import StoredMessage, Subscription

log = logging.getLogger("serverlite.sns")
HTTP_TIMEOUT_S = 15.0  # AWS waits 15 seconds for an HTTP(S) endpoint
USER_AGENT = "Amazon Simple Notification Service Agent"
_THROTTLING = frozenset(
    {"RequestThrottled", "ThrottlingException", "Throttling", "TooManyRequestsException"}
)

Invoke = Callable[[InvokeRequest], Awaitable[InvokeResult]]


@dataclass(frozen=True)
class Outcome:
    status: Literal["delivered", "retry", "failed"]
    error: str = ""


DELIVERED = Outcome("delivered")


def from_aws_error(exc: AwsError) -> Outcome:
    retry = exc.status >= 500 or exc.status == 429 or exc.code in _THROTTLING
    return Outcome("retry" if retry else "failed", f"{exc.code}: {exc.message}")


def note(message: StoredMessage, protocol: str) -> envelope.Notification:
    return envelope.Notification(
        message_id=message.message_id,
        topic_arn=message.topic_arn,
        message=message.for_protocol(protocol),
        timestamp=message.timestamp,
        subject=message.subject,
        attributes=message.attributes,
        sequence_number=message.sequence_number,
    )


def sqs_request(
    aws: LocalAws, queue_arn: str, sub: Subscription, message: StoredMessage, endpoint_url: str
) -> dict[str, Any]:
    """SendMessage for a queue subscriber (or a subscription's dead-letter queue)."""
    params: dict[str, Any] = {"QueueUrl": aws.queue_url(queue_arn)}
    if sub.raw:
        params["MessageBody"] = message.for_protocol("sqs")
        if message.attributes:
            params["MessageAttributes"] = {k: v.to_sqs() for k, v in message.attributes.items()}
    else:
        doc = envelope.notification(note(message, "sqs"), sub.arn, endpoint_url)
        params["MessageBody"] = envelope.dumps(doc)
    if names.is_fifo_queue_arn(queue_arn) and message.group_id:
        params["MessageGroupId"] = message.group_id
        params["MessageDeduplicationId"] = message.dedup_id or message.message_id
    return params


class SubscriptionSenders:
    def __init__(self, aws: LocalAws, invoke: Invoke, endpoint_url: str) -> None:
        self.aws = aws
        self.invoke = invoke
        self.endpoint_url = endpoint_url
        self._http: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def notify(self, sub: Subscription, message: StoredMessage) -> Outcome:
        if sub.protocol == "sqs":
            return await self.send_sqs(sub.endpoint, sub, message)
        if sub.protocol == "lambda":
            return await self._lambda(sub, message)
        if sub.protocol in ("http", "https"):
            return await self._notify_http(sub, message)
        return Outcome("failed", f"serverlite does not deliver to {sub.protocol}")

    async def send_sqs(self, queue_arn: str, sub: Subscription, message: StoredMessage) -> Outcome:
        params = sqs_request(self.aws, queue_arn, sub, message, self.endpoint_url)
        try:
            await self.aws.call("sqs", "SendMessage", params)
        except AwsError as exc:
            return from_aws_error(exc)
        return DELIVERED

    async def _lambda(self, sub: Subscription, message: StoredMessage) -> Outcome:
        event = envelope.lambda_event(note(message, "lambda"), sub.arn, self.endpoint_url)
        request = InvokeRequest(
            function=names.function_of(sub.endpoint),
            payload=json.dumps(event).encode(),
            invocation_type="Event",
        )
        try:
            await self.invoke(request)
        except InvokeError as exc:
            retry = exc.status >= 500 or exc.status == 429
            return Outcome("retry" if retry else "failed", f"{exc.code}: {exc.message}")
        except AwsError as exc:
            return from_aws_error(exc)
        return DELIVERED

    async def _notify_http(self, sub: Subscription, message: StoredMessage) -> Outcome:
        headers = {
            "x-amz-sns-message-type": envelope.NOTIFICATION,
            "x-amz-sns-message-id": message.message_id,
            "x-amz-sns-topic-arn": message.topic_arn,
            "x-amz-sns-subscription-arn": sub.arn,
        }
        if sub.raw:
            headers["x-amz-sns-rawdelivery"] = "true"
            body = message.for_protocol(sub.protocol)
        else:
            doc = envelope.notification(note(message, sub.protocol), sub.arn, self.endpoint_url)
            body = envelope.dumps(doc)
        return await self.post(sub.endpoint, headers, body)

    async def confirmation(
        self,
        kind: str,
        subscription_arn: str,
        topic_arn: str,
        endpoint: str,
        token: str,
        now: float,
    ) -> Outcome:
        """A SubscriptionConfirmation or UnsubscribeConfirmation POST."""
        message_id = envelope.new_message_id()
        doc = envelope.confirmation(kind, message_id, topic_arn, token, self.endpoint_url, now)
        headers = {
            "x-amz-sns-message-type": kind,
            "x-amz-sns-message-id": message_id,
            "x-amz-sns-topic-arn": topic_arn,
        }
        if kind == envelope.UNSUBSCRIBE_CONFIRMATION:
            headers["x-amz-sns-subscription-arn"] = subscription_arn
        return await self.post(endpoint, headers, envelope.dumps(doc))

    async def post(self, url: str, headers: dict[str, str], body: str) -> Outcome:
        host = httpx.URL(url).host
        if not names.is_loopback(host):  # checked at Subscribe; checked again before sending
            return Outcome("failed", f"{host} is not a loopback host")
        if self._http is None:
            # Loopback HTTPS endpoints use self-signed certificates: not verified here.
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_S, verify=False)
        sent = {
            **headers,
            "Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": USER_AGENT,
        }
        try:
            response = await self._http.post(url, content=body.encode(), headers=sent)
        except httpx.HTTPError as exc:
            return Outcome("retry", f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            return DELIVERED
        kind: Literal["retry", "failed"] = "retry" if status == 429 or status >= 500 else "failed"
        return Outcome(kind, f"HTTP {status}")
