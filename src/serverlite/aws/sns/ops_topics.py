"""CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes and topic tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from serverlite.aws.backend import AwsError

from . import attributes, errors, names
from .context import SnsContext, text
from .records import Topic

PAGE = 100
MAX_TAGS = 50


def _tags(raw: Any) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in raw or []}


def create_topic(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    name = text(params, "Name")
    attrs = attributes.check_create_attributes(params.get("Attributes"))
    if params.get("DataProtectionPolicy"):
        attrs["DataProtectionPolicy"] = attributes.check_topic_attribute(
            "DataProtectionPolicy", str(params["DataProtectionPolicy"]), fifo=False
        )
    fifo = attrs.get("FifoTopic") == "true"
    names.check_topic_name(name, fifo)
    tags = _tags(params.get("Tags"))
    if len(tags) > MAX_TAGS:
        raise AwsError(
            "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded"
        )
    arn = names.topic_arn(ctx.region, ctx.account, name)
    existing = ctx.topics.topic(arn)
    if existing is not None:
        # CreateTopic is idempotent for the same name, attributes and tags.
        if any(existing.attributes.get(k, _default(k)) != v for k, v in attrs.items()):
            raise errors.invalid(
                "Attributes Reason: Topic already exists with different attributes"
            )
        if tags and dict(existing.tags) != tags:
            raise errors.invalid("Tags Reason: Topic already exists with different tags")
        return {"TopicArn": arn}
    ctx.topics.put_topic(Topic(arn, name, attrs, tags), ctx.clock())
    return {"TopicArn": arn}


def _default(name: str) -> str:
    return "false" if name in ("FifoTopic", "ContentBasedDeduplication") else ""


def delete_topic(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    arn = text(params, "TopicArn")
    names.parse_topic_arn(arn)
    ctx.topics.delete_topic(arn)  # idempotent: deleting a missing topic is not an error
    return {}


def list_topics(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    after = str(params.get("NextToken") or "")
    page = ctx.topics.topics(after, PAGE + 1)
    result: dict[str, Any] = {"Topics": [{"TopicArn": t.arn} for t in page[:PAGE]]}
    if len(page) > PAGE:
        result["NextToken"] = page[PAGE - 1].arn
    return result


def get_topic_attributes(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic = ctx.require_topic(params.get("TopicArn"))
    confirmed, pending = ctx.topics.counts(topic.arn)
    return {"Attributes": attributes.topic_view(topic, ctx.account, confirmed, pending)}


def set_topic_attributes(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic = ctx.require_topic(params.get("TopicArn"))
    name = text(params, "AttributeName")
    if name not in attributes.TOPIC_SETTABLE:
        raise errors.invalid("AttributeName")
    value = str(params.get("AttributeValue") or "")
    value = attributes.check_topic_attribute(name, value, fifo=topic.fifo)
    updated = dict(topic.attributes)
    updated[name] = value
    ctx.topics.put_topic(replace(topic, attributes=updated), ctx.clock())
    return {}


# -- tags ------------------------------------------------------------------------------


def _tagged(ctx: SnsContext, params: Mapping[str, Any]) -> Topic:
    arn = text(params, "ResourceArn")
    topic = ctx.topics.topic(arn)
    if topic is None:
        raise errors.resource_not_found()
    return topic


def tag_resource(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic = _tagged(ctx, params)
    tags = {**topic.tags, **_tags(params.get("Tags"))}
    if len(tags) > MAX_TAGS:
        raise AwsError(
            "TagLimitExceeded", "Could not complete request: tag quota of per resource exceeded"
        )
    ctx.topics.put_topic(replace(topic, tags=tags), ctx.clock())
    return {}


def untag_resource(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic = _tagged(ctx, params)
    drop = {str(key) for key in params.get("TagKeys") or []}
    tags = {k: v for k, v in topic.tags.items() if k not in drop}
    ctx.topics.put_topic(replace(topic, tags=tags), ctx.clock())
    return {}


def list_tags_for_resource(ctx: SnsContext, params: Mapping[str, Any]) -> dict[str, Any]:
    topic = _tagged(ctx, params)
    return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(topic.tags.items())]}
