"""Subscribe, ConfirmSubscription, Unsubscribe, ListSubscriptions(ByTopic) and
Get/SetSubscriptionAttributes.

SQS and Lambda subscriptions are confirmed at once. HTTP(S) subscriptions start
pending: a SubscriptionConfirmation is POSTed to the endpoint with a SubscribeURL
on this endpoint, and visiting it (or calling ConfirmSubscription with the token)
confirms. Email and SMS subscriptions are accepted and stay pending: serverlite
sends no mail or text messages.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from . import attributes, errors, names
from .context import SnsContext, text
from .records import PENDING_SUBSCRIBE, Subscription

log = logging.getLogger("serverlite.sns")
PAGE = 100
TOKEN_LIFETIME_S = 3 * 24 * 3600  # AWS: confirmation tokens are valid for three days
_CONFIRMED_AT_ONCE = ("sqs", "lambda")


def subscribe(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic = ctx.require_topic(params.get("TopicArn"))
    protocol = text(params, "Protocol")
    endpoint = str(params.get("Endpoint") or "")
    names.check_endpoint(protocol, endpoint, topic.fifo)
    attrs = attributes.check_subscribe_attributes(params.get("Attributes"), protocol, topic)
    show_arn = bool(params.get("ReturnSubscriptionArn"))
    existing = ctx.topics.find_subscription(topic.arn, protocol, endpoint)
    if existing is not None:
        if any(existing.attributes.get(k) != v for k, v in attrs.items()):
            raise errors.invalid(
                "Attributes Reason: Subscription already exists with different attributes"
            )
        if not existing.confirmed and protocol in ("http", "https"):
            _request_confirmation(ctx, existing)  # AWS sends the confirmation again
        shown = existing.arn if existing.confirmed or show_arn else PENDING_SUBSCRIBE
        return {"SubscriptionArn": shown}
    confirmed = protocol in _CONFIRMED_AT_ONCE
    now = ctx.clock()
    sub = Subscription(
        arn=names.new_subscription_arn(topic.arn),
        topic_arn=topic.arn,
        protocol=protocol,
        endpoint=endpoint,
        confirmed=confirmed,
        attributes=attrs,
        token=None if confirmed else secrets.token_hex(64),
        token_created=now,
    )
    ctx.topics.put_subscription(sub, now)
    if protocol in ("http", "https"):
        _request_confirmation(ctx, sub)
    elif not confirmed:
        log.warning(
            "SNS: %s subscription %s stays pending: serverlite does not send %s",
            protocol,
            endpoint,
            "email" if protocol.startswith("email") else "SMS",
        )
    return {"SubscriptionArn": sub.arn if confirmed or show_arn else PENDING_SUBSCRIBE}


def _request_confirmation(ctx: SnsContext, sub: Subscription) -> None:
    ctx.outbox.enqueue_confirmation(
        "subscribe", sub.arn, sub.topic_arn, sub.protocol, sub.endpoint, sub.token or "",
        ctx.clock(),
    )  # fmt: skip
    ctx.wake()


def confirm_subscription(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic = ctx.require_topic(params.get("TopicArn"))
    token = text(params, "Token")
    sub = ctx.topics.by_token(topic.arn, token)
    if sub is None or ctx.clock() - sub.token_created > TOKEN_LIFETIME_S:
        raise errors.invalid("Token")
    if not sub.confirmed:
        ctx.topics.put_subscription(replace(sub, confirmed=True), ctx.clock())
    return {"SubscriptionArn": sub.arn}


def _require_subscription(ctx: SnsContext, params: Mapping[str, Any]) -> Subscription:
    arn = text(params, "SubscriptionArn")
    if names.subscription_topic(arn) is None:
        raise errors.invalid("SubscriptionArn")
    sub = ctx.topics.subscription(arn)
    if sub is None:
        raise errors.subscription_not_found()
    return sub


def unsubscribe(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    arn = text(params, "SubscriptionArn")
    if names.subscription_topic(arn) is None:
        raise errors.invalid("SubscriptionArn")
    sub = ctx.topics.subscription(arn)
    if sub is None:
        return {}  # already gone: Unsubscribe is idempotent
    ctx.topics.delete_subscription(arn)
    if sub.confirmed and sub.protocol in ("http", "https"):
        # The endpoint hears about it, as on AWS (its SubscribeURL does not restore it here).
        ctx.outbox.enqueue_confirmation(
            "unsubscribe", sub.arn, sub.topic_arn, sub.protocol, sub.endpoint,
            secrets.token_hex(64), ctx.clock(),
        )  # fmt: skip
        ctx.wake()
    return {}


def _listed(sub: Subscription, account: str) -> dict[str, str]:
    return {
        "SubscriptionArn": sub.listed_arn,
        "Owner": account,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "TopicArn": sub.topic_arn,
    }


def _page(ctx: SnsContext, params: Mapping[str, Any], topic_arn: str | None) -> dict[str, Any]:
    token = str(params.get("NextToken") or "0")
    if not token.isdigit():
        raise errors.invalid("NextToken")
    found = ctx.topics.subscriptions(topic_arn, int(token), PAGE + 1)
    result: dict[str, Any] = {
        "Subscriptions": [_listed(sub, ctx.account) for _, sub in found[:PAGE]]
    }
    if len(found) > PAGE:
        result["NextToken"] = str(found[PAGE - 1][0])
    return result


def list_subscriptions(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    return _page(ctx, params, None)


def list_subscriptions_by_topic(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic = ctx.require_topic(params.get("TopicArn"))
    return _page(ctx, params, topic.arn)


def get_subscription_attributes(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    sub = _require_subscription(ctx, params)
    topic = ctx.topics.topic(sub.topic_arn)
    return {"Attributes": attributes.subscription_view(sub, ctx.account, topic)}


def set_subscription_attributes(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    sub = _require_subscription(ctx, params)
    topic = ctx.require_topic(sub.topic_arn)
    name = text(params, "AttributeName")
    value = str(params.get("AttributeValue") or "")
    updated = attributes.check_subscription_attribute(
        name, value, sub.protocol, topic, sub.attributes
    )
    ctx.topics.set_subscription_attributes(sub.arn, updated)
    return {}
