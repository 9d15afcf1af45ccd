"""What the template declares for SNS, read into plain specs (no I/O).

- ``AWS::SNS::Topic`` (TopicName, FifoTopic, ContentBasedDeduplication, DisplayName,
  ..., Tags, and a ``Subscription`` list of ``{Endpoint, Protocol}``);
- ``AWS::SNS::Subscription``;
- ``AWS::SNS::TopicPolicy`` / ``AWS::SNS::TopicInlinePolicy`` (the topic's Policy);
- a function's ``Events: {Type: SNS}`` (Topic, FilterPolicy, FilterPolicyScope,
  RedrivePolicy, SqsSubscription): a Lambda subscription, or with SqsSubscription a
  queue subscription (SAM's implicit queue ``<Function><Event>Queue`` when ``true``,
  the given ``QueueArn`` otherwise) that an SQS event source mapping drains.

Subscription ARNs are stable across restarts: the Ref of an AWS::SNS::Subscription,
or derived from the function and event name / the topic and endpoint.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, FunctionSpec, ResourceSpec
from serverlite.template.sqs_subscriptions import queue_subscription

TOPIC = "AWS::SNS::Topic"
SUBSCRIPTION = "AWS::SNS::Subscription"
TOPIC_POLICY = "AWS::SNS::TopicPolicy"
TOPIC_INLINE_POLICY = "AWS::SNS::TopicInlinePolicy"
_TOPIC_PROPERTIES = (
    "DisplayName",
    "FifoTopic",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "FifoThroughputScope",
    "ArchivePolicy",
    "DataProtectionPolicy",
)
_SUBSCRIPTION_PROPERTIES = (
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "DeliveryPolicy",
    "SubscriptionRoleArn",
)


@dataclass(frozen=True)
class TopicSpec:
    arn: str
    name: str
    attributes: Mapping[str, str]
    tags: Mapping[str, str]
    where: tuple[str, ...]  # stack path, "Resources.<Logical>"


@dataclass(frozen=True)
class SubscriptionSpec:
    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    where: tuple[str, ...] = ()
    function: str | None = None  # the subscribed function (Events: Type: SNS)


def attribute_text(value: Any) -> str | None:
    """A template value as an attribute string: objects become JSON, booleans lowercase."""
    if isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"))
    return to_cfn_string(value)


def _where(resource: ResourceSpec | FunctionSpec, suffix: str = "") -> tuple[str, ...]:
    return (*resource.stack_path, f"Resources.{resource.logical_id}{suffix}")


def _attributes(props: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in names:
        text = attribute_text(props.get(name))
        if text is not None:
            out[name] = text
    return out


def topics(app: Application) -> list[TopicSpec]:
    found = []
    for res in app.resources:
        if res.type != TOPIC:
            continue
        tags = {
            str(t.get("Key")): to_cfn_string(t.get("Value")) or ""
            for t in res.properties.get("Tags") or []
            if isinstance(t, Mapping)
        }
        attrs = _attributes(res.properties, _TOPIC_PROPERTIES)
        name = res.physical_id.rsplit(":", 1)[-1]
        found.append(TopicSpec(res.physical_id, name, attrs, tags, _where(res)))
    return found


def topic_policies(app: Application) -> list[tuple[str, str, tuple[str, ...]]]:
    """(topic ARN, policy JSON, where) for every TopicPolicy / TopicInlinePolicy."""
    found = []
    for res in app.resources:
        if res.type not in (TOPIC_POLICY, TOPIC_INLINE_POLICY):
            continue
        policy = attribute_text(res.properties.get("PolicyDocument")) or ""
        targets = res.properties.get("Topics") if res.type == TOPIC_POLICY else None
        arns = targets if isinstance(targets, list) else [res.properties.get("TopicArn")]
        found += [(str(arn), policy, _where(res)) for arn in arns if arn]
    return found


def subscriptions(app: Application) -> list[SubscriptionSpec]:
    found: list[SubscriptionSpec] = []
    for res in app.resources:
        if res.type == TOPIC:
            for index, item in enumerate(res.properties.get("Subscription") or []):
                protocol = to_cfn_string(item.get("Protocol")) or ""
                endpoint = to_cfn_string(item.get("Endpoint")) or ""
                stable = uuid.uuid5(uuid.NAMESPACE_URL, f"{res.physical_id}#{protocol}#{endpoint}")
                found.append(
                    SubscriptionSpec(
                        f"{res.physical_id}:{stable}", res.physical_id, protocol, endpoint,
                        where=_where(res, f".Properties.Subscription[{index}]"),
                    )
                )  # fmt: skip
        elif res.type == SUBSCRIPTION:
            props = res.properties
            found.append(
                SubscriptionSpec(
                    res.physical_id,
                    to_cfn_string(props.get("TopicArn")) or "",
                    to_cfn_string(props.get("Protocol")) or "",
                    to_cfn_string(props.get("Endpoint")) or "",
                    _attributes(props, _SUBSCRIPTION_PROPERTIES),
                    _where(res),
                )
            )
    for fn in app.functions:
        for event in fn.events:
            if event.type == "SNS":
                found.append(_function_subscription(app, fn, event.name, event.properties))
    return found


def _function_subscription(
    app: Application, fn: FunctionSpec, event: str, props: Mapping[str, Any]
) -> SubscriptionSpec:
    topic = to_cfn_string(props.get("Topic")) or ""
    stable = uuid.uuid5(uuid.NAMESPACE_URL, f"{fn.arn}#{event}")
    attrs = _attributes(props, ("FilterPolicy", "FilterPolicyScope", "RedrivePolicy"))
    queue = queue_subscription(app, fn, event, props)
    protocol, endpoint = ("sqs", queue.queue_arn) if queue else ("lambda", fn.arn)
    return SubscriptionSpec(
        f"{topic}:{stable}", topic, protocol, endpoint, attrs,
        _where(fn, f".Properties.Events.{event}"), fn.name,
    )  # fmt: skip
