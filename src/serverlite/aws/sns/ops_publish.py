"""Publish and PublishBatch: check, filter, and commit the fan-out before answering.

Each subscription's filter policy is applied at Publish: the message is stored with
one delivery per confirmed subscription that accepts it, in one transaction, and
only then acknowledged. The delivery worker does the sending.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.observe.tracing import current_header

from . import errors, message_input, names
from .context import SnsContext, compiled_policy
from .filter_policy import ATTRIBUTES
from .message_input import NewMessage
from .records import StoredMessage, Subscription, Topic

log = logging.getLogger("serverlite.sns")
MAX_BATCH = 10
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


def publish(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic_arn = params.get("TopicArn")
    target_arn = params.get("TargetArn")
    phone = params.get("PhoneNumber")
    if topic_arn and target_arn:
        raise errors.invalid(
            "TopicArn or TargetArn Reason: Only one of TopicArn or TargetArn may be specified"
        )
    arn = topic_arn or target_arn
    if not arn:
        if phone:
            return _sms(ctx, params)
        raise errors.invalid("TopicArn or TargetArn Reason: no value for required parameter")
    parsed = names.parse_arn(str(arn))
    if parsed is not None and parsed.service == "sns" and parsed.resource.startswith("endpoint/"):
        raise errors.invalid(
            "TargetArn Reason: serverlite does not deliver to mobile push endpoints"
        )
    topic = ctx.require_topic(arn, "TopicArn" if topic_arn else "TargetArn")
    new = message_input.check(params, fifo=topic.fifo, content_dedup=topic.content_dedup)
    return _publish(ctx, topic, new)


def _sms(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    phone = str(params.get("PhoneNumber"))
    names.check_endpoint("sms", phone, False)
    message_input.check(params, fifo=False, content_dedup=False)
    log.warning("SNS: a text message to %s was not sent: serverlite does not send SMS", phone)
    return {"MessageId": str(uuid.uuid4())}


def _publish(ctx: SnsContext, topic: Topic, new: NewMessage) -> dict[str, Any]:
    stored = StoredMessage(
        message_id=str(uuid.uuid4()),
        topic_arn=topic.arn,
        message=new.message,
        timestamp=ctx.clock(),
        subject=new.subject,
        per_protocol=new.per_protocol,
        attributes=new.attributes,
        group_id=new.group_id,
        dedup_id=new.dedup_id,
        # SNS passes the publisher's X-Ray trace header on to SQS and Lambda subscribers.
        trace_header=current_header(),
    )
    targets = [
        sub.arn for sub in ctx.topics.topic_subscriptions(topic.arn) if _accepts(sub, stored)
    ]
    published = ctx.outbox.publish(stored, targets, fifo=topic.fifo, now=stored.timestamp)
    if targets and not published.duplicate:
        ctx.wake()
    result: dict[str, Any] = {"MessageId": published.message_id}
    if published.sequence_number is not None:
        result["SequenceNumber"] = published.sequence_number
    return result


def _accepts(sub: Subscription, message: StoredMessage) -> bool:
    if not sub.confirmed or sub.protocol not in names.DELIVERED:
        return False
    policy_text = sub.attributes.get("FilterPolicy")
    if not policy_text:
        return True
    scope = sub.attributes.get("FilterPolicyScope", ATTRIBUTES)
    try:
        policy = compiled_policy(policy_text, scope)
    except AwsError:  # stored before a stricter check: deliver rather than lose messages
        log.warning("SNS: %s has a filter policy serverlite cannot read", sub.arn)
        return True
    return policy.matches(message.for_protocol(sub.protocol), message.attributes)


def publish_batch(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    entries = list(params.get("PublishBatchRequestEntries") or [])
    if not entries:
        raise AwsError("EmptyBatchRequest", "The batch request doesn't contain any entries.")
    if len(entries) > MAX_BATCH:
        raise AwsError(
            "TooManyEntriesInBatchRequest",
            "The batch request contains more entries than permissible.",
        )
    ids = [str(entry.get("Id", "")) for entry in entries]
    if len(set(ids)) != len(ids):
        raise AwsError(
            "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."
        )
    if not all(_BATCH_ID.fullmatch(entry_id) for entry_id in ids):
        raise AwsError(
            "InvalidBatchEntryId",
            "The Id of a batch entry in a batch request doesn't abide by the specification.",
        )
    total = sum(len(str(entry.get("Message", "")).encode()) for entry in entries)
    if total > message_input.MAX_MESSAGE_BYTES:
        raise AwsError(
            "BatchRequestTooLong",
            "The length of all the messages put together is more than the limit.",
        )
    topic = ctx.require_topic(params.get("TopicArn"))
    successful: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    for entry_id, entry in zip(ids, entries, strict=True):
        try:
            new = message_input.check(entry, fifo=topic.fifo, content_dedup=topic.content_dedup)
            result = _publish(ctx, topic, new)
        except AwsError as exc:
            failed.append(
                {"Id": entry_id, "Code": exc.code, "Message": exc.message, "SenderFault": True}
            )
            continue
        successful.append({"Id": entry_id, **result})
    return {"Successful": successful, "Failed": failed}
