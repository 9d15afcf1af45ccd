"""Topic and subscription attributes: which can be set, how each is checked, and
what Get*Attributes answers (the stored ones plus the ones SNS derives)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import delivery_policy, errors, filter_policy, names
from .records import Subscription, Topic

_FEEDBACK = tuple(
    f"{proto}{kind}"
    for proto in ("Application", "HTTP", "Lambda", "SQS", "Firehose")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
TOPIC_SETTABLE = (
    "DeliveryPolicy",
    "DisplayName",
    "Policy",
    "SignatureVersion",
    "TracingConfig",
    "KmsMasterKeyId",
    "ContentBasedDeduplication",
    "ArchivePolicy",
    "FifoThroughputScope",
    "DataProtectionPolicy",
    *_FEEDBACK,
)
TOPIC_CREATE_ONLY = ("FifoTopic",)
SUBSCRIPTION_SETTABLE = (
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
)
RAW_PROTOCOLS = ("sqs", "http", "https", "firehose")
MAX_DISPLAY_NAME = 100
_CHOICES = {
    "SignatureVersion": ("1", "2"),
    "TracingConfig": ("PassThrough", "Active"),
    "FifoThroughputScope": ("Topic", "MessageGroup"),
}


def _boolean(name: str, value: str) -> str:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise errors.invalid(f"{name}: Invalid value [{value}]. Must be true or false.")
    return lowered


def _json_object(name: str, value: str) -> None:
    try:
        parsed = json.loads(value)
    except ValueError:
        raise errors.invalid(f"{name}: failed to parse JSON.") from None
    if not isinstance(parsed, dict):
        raise errors.invalid(f"{name}: must be a JSON object.")


# -- topics --------------------------------------------------------------------------


def check_topic_attribute(name: str, value: str, *, fifo: bool) -> str:
    """The value to store for a topic attribute; InvalidParameter when AWS refuses it."""
    if name in ("FifoTopic", "ContentBasedDeduplication"):
        value = _boolean(name, value)
        if name == "ContentBasedDeduplication" and value == "true" and not fifo:
            raise errors.invalid(
                "Attributes Reason: ContentBasedDeduplication can only be set for FIFO topics"
            )
    elif name == "DisplayName":
        if len(value) > MAX_DISPLAY_NAME:
            raise errors.invalid("DisplayName")
    elif name in ("Policy", "ArchivePolicy", "DataProtectionPolicy"):
        if value:
            _json_object(name, value)
    elif name == "DeliveryPolicy":
        if value:
            delivery_policy.check_topic_policy(value)
    elif name in _CHOICES and value not in _CHOICES[name]:
        raise errors.invalid(name)
    if name in ("FifoThroughputScope", "ArchivePolicy") and value and not fifo:
        raise errors.invalid(f"Attributes Reason: {name} can only be set for FIFO topics")
    return value


def check_create_attributes(raw: Mapping[str, Any] | None) -> dict[str, str]:
    given = {str(k): str(v) for k, v in (raw or {}).items()}
    fifo = given.get("FifoTopic", "").lower() == "true"
    out: dict[str, str] = {}
    for name, value in given.items():
        if name not in TOPIC_SETTABLE and name not in TOPIC_CREATE_ONLY:
            raise errors.invalid(f"Attributes Reason: Unknown attribute name {name}")
        out[name] = check_topic_attribute(name, value, fifo=fifo)
    if out.get("FifoTopic") == "false":
        del out["FifoTopic"]
    if fifo:
        out.setdefault("ContentBasedDeduplication", "false")
    return out


def default_policy(topic_arn: str, account: str) -> str:
    """The access policy AWS gives a new topic."""
    return json.dumps(
        {
            "Version": "2008-10-17",
            "Id": "__default_policy_ID",
            "Statement": [
                {
                    "Sid": "__default_statement_ID",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "SNS:GetTopicAttributes",
                        "SNS:SetTopicAttributes",
                        "SNS:AddPermission",
                        "SNS:RemovePermission",
                        "SNS:DeleteTopic",
                        "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic",
                        "SNS:Publish",
                    ],
                    "Resource": topic_arn,
                    "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
                }
            ],
        },
        separators=(",", ":"),
    )


def topic_view(topic: Topic, account: str, confirmed: int, pending: int) -> dict[str, str]:
    view = {
        "Owner": account,
        "Policy": default_policy(topic.arn, account),
        "TopicArn": topic.arn,
        "DisplayName": "",
        "SubscriptionsConfirmed": str(confirmed),
        "SubscriptionsPending": str(pending),
        "SubscriptionsDeleted": "0",
        "EffectiveDeliveryPolicy": delivery_policy.effective_topic_policy(
            topic.attributes.get("DeliveryPolicy")
        ),
    }
    view.update({k: v for k, v in topic.attributes.items() if v != "" or k == "DisplayName"})
    return view


# -- subscriptions -------------------------------------------------------------------


def check_subscription_attribute(
    name: str, value: str, protocol: str, topic: Topic, current: Mapping[str, str]
) -> dict[str, str]:
    """The subscription's attributes after setting ``name``; InvalidParameter if refused."""
    if name not in SUBSCRIPTION_SETTABLE:
        raise errors.invalid("AttributeName")
    updated = dict(current)
    if name == "RawMessageDelivery":
        value = _boolean(name, value)
        if value == "true" and protocol not in RAW_PROTOCOLS:
            raise errors.invalid(
                f"Delivery protocol [{protocol}] does not support raw message delivery."
            )
    elif name == "FilterPolicyScope":
        value = value or filter_policy.ATTRIBUTES
        _check_scope(value)
        if current.get("FilterPolicy"):  # the policy must still hold under the new scope
            filter_policy.compile_policy(current["FilterPolicy"], value)
    elif name == "FilterPolicy":
        if value:
            scope = current.get("FilterPolicyScope", filter_policy.ATTRIBUTES)
            filter_policy.compile_policy(value, scope)
    elif name == "RedrivePolicy":
        if value:
            _check_redrive(value, topic.fifo)
    elif name == "DeliveryPolicy" and value:
        delivery_policy.check_subscription_policy(value)
    if value == "" and name in ("FilterPolicy", "RedrivePolicy", "DeliveryPolicy"):
        updated.pop(name, None)
    else:
        updated[name] = value
    return updated


def _check_scope(scope: str) -> None:
    if scope not in filter_policy.SCOPES:
        raise errors.invalid(
            f"FilterPolicyScope: Invalid value [{scope}]. Please use either MessageBody or "
            "MessageAttributes"
        )


def check_subscribe_attributes(
    raw: Mapping[str, Any] | None, protocol: str, topic: Topic
) -> dict[str, str]:
    given = {str(k): str(v) for k, v in (raw or {}).items()}
    out: dict[str, str] = {}
    # The scope first, so the policy is read under the scope it will have.
    for name in sorted(given, key=lambda n: n != "FilterPolicyScope"):
        out = check_subscription_attribute(name, given[name], protocol, topic, out)
    return out


def _check_redrive(value: str, fifo_topic: bool) -> None:
    try:
        policy = json.loads(value)
    except ValueError:
        raise errors.invalid("RedrivePolicy: failed to parse JSON.") from None
    target = policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None
    if not isinstance(target, str) or not target:
        raise errors.invalid("RedrivePolicy: deadLetterTargetArn is missing.")
    arn = names.parse_arn(target)
    if arn is None or arn.service != "sqs" or ":" in arn.resource:
        raise errors.invalid(f"RedrivePolicy: Invalid deadLetterTargetArn [{target}].")
    if fifo_topic != names.is_fifo_queue_arn(target):
        if fifo_topic:
            raise errors.invalid(
                "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO "
                "Topic."
            )
        raise errors.invalid(
            "RedrivePolicy: must use a standard queue as DLQ for a standard Subscription."
        )


def dead_letter_arn(sub: Subscription) -> str | None:
    raw = sub.attributes.get("RedrivePolicy")
    if not raw:
        return None
    target = json.loads(raw).get("deadLetterTargetArn")
    return str(target) if target else None


def subscription_view(sub: Subscription, account: str, topic: Topic | None) -> dict[str, str]:
    view = {
        "SubscriptionArn": sub.arn,
        "TopicArn": sub.topic_arn,
        "Owner": account,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "ConfirmationWasAuthenticated": "true" if sub.confirmed else "false",
        "PendingConfirmation": "false" if sub.confirmed else "true",
        "RawMessageDelivery": "false",
        "SubscriptionPrincipal": f"arn:aws:iam::{account}:root",
    }
    if sub.protocol in ("http", "https"):
        policy = delivery_policy.for_protocol(
            sub.protocol,
            topic.attributes.get("DeliveryPolicy") if topic else None,
            sub.attributes.get("DeliveryPolicy"),
        )
        view["EffectiveDeliveryPolicy"] = json.dumps(
            {
                "healthyRetryPolicy": {
                    "minDelayTarget": int(policy.min_delay_s),
                    "maxDelayTarget": int(policy.max_delay_s),
                    "numRetries": policy.num_retries,
                    "numMaxDelayRetries": policy.num_max_delay_retries,
                    "numNoDelayRetries": policy.num_no_delay_retries,
                    "numMinDelayRetries": policy.num_min_delay_retries,
                    "backoffFunction": policy.backoff,
                }
            },
            separators=(",", ":"),
        )
    view.update(sub.attributes)
    if "FilterPolicy" in sub.attributes:
        view.setdefault("FilterPolicyScope", filter_policy.ATTRIBUTES)
    return view
