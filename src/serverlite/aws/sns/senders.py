"""One delivery attempt per protocol: SQS, Lambda, HTTP(S) on loopback.

SQS and Lambda subscribers are ARNs: ``aws/arn_sender.py`` sends to them. HTTP(S)
is SNS's own: a 2xx answer is delivered, 429 and 5xx (and no answer) are retried,
any other status is a client-side error. Each attempt ends in an ``Outcome``:
delivered, a server-side error (retried by the subscription's delivery policy), or
a client-side error (never retried; AWS's examples are a deleted queue or function,
or an endpoint that refuses the message).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Literal

from serverlite.aws.arn_sender import ArnSender
from serverlite.sending import DELIVERED, Message, Outcome

from . import envelope, names
from .records import StoredMessage, Subscription

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("serverlite.sns")
HTTP_TIMEOUT_S = 15.0  # AWS waits 15 seconds for an HTTP(S) endpoint
USER_AGENT = "Amazon Simple Notification Service Agent"


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


def sqs_message(
    queue_arn: str, sub: Subscription, message: StoredMessage, endpoint_url: str
) -> Message:
    """What a queue subscriber (or a subscription's dead-letter queue) is sent."""
    if sub.raw:
        body = message.for_protocol("sqs")
        attributes = {k: v.to_sqs() for k, v in message.attributes.items()}
    else:
        body = envelope.dumps(envelope.notification(note(message, "sqs"), sub.arn, endpoint_url))
        attributes = {}
    if names.is_fifo_queue_arn(queue_arn) and message.group_id:
        group = message.group_id
        return Message(
            body,
            attributes,
            group,
            message.dedup_id or message.message_id,
            trace_header=message.trace_header,
        )
    return Message(body, attributes, trace_header=message.trace_header)


class SubscriptionSenders:
    def __init__(self, sender: ArnSender, endpoint_url: str) -> None:
        self.sender = sender
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
        return Outcome("failed", message=f"serverlite does not deliver to {sub.protocol}")

    async def send_sqs(self, queue_arn: str, sub: Subscription, message: StoredMessage) -> Outcome:
        return await self.sender.send(
            queue_arn, sqs_message(queue_arn, sub, message, self.endpoint_url)
        )

    async def _lambda(self, sub: Subscription, message: StoredMessage) -> Outcome:
        event = envelope.lambda_event(note(message, "lambda"), sub.arn, self.endpoint_url)
        return await self.sender.send(
            names.function_of(sub.endpoint),
            Message(json.dumps(event), trace_header=message.trace_header),
        )

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
        import httpx  # when an HTTP subscription is first sent to, not at every start

        host = httpx.URL(url).host
        if not names.is_loopback(host):  # checked at Subscribe; checked again before sending
            return Outcome("failed", message=f"{host} is not a loopback host")
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
            return Outcome("retry", message=f"{type(exc).__name__}: {exc}")
        status = response.status_code
        if 200 <= status < 300:
            return DELIVERED
        kind: Literal["retry", "failed"] = "retry" if status == 429 or status >= 500 else "failed"
        return Outcome(kind, message=f"HTTP {status}")
