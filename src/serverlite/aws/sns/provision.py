"""Make the template's topics and subscriptions exist, idempotently.

A restart with the same declaration leaves a topic or subscription alone (and what
was changed through the API since stays); a changed declaration is applied, as a
stack update would apply it. Subscriptions provisioned from an earlier template
that the template no longer declares are removed. A subscription AWS would take but
serverlite cannot serve (an HTTP endpoint off this machine, a topic declared
elsewhere) is skipped with a warning in the startup table, never silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from dataclasses import replace

from serverlite.aws.backend import AwsError, ProvisionedResource
from serverlite.errors import TemplateError
from serverlite.template.model import Application

from . import attributes, names
from .context import SnsContext
from .records import Subscription, Topic
from .template_specs import SubscriptionSpec, TopicSpec, subscriptions, topic_policies, topics

log = logging.getLogger("serverlite.sns")


def provision(ctx: SnsContext, app: Application) -> list[ProvisionedResource]:
    declared = topics(app)
    policies = {arn: (policy, where) for arn, policy, where in topic_policies(app)}
    rows = [_topic(ctx, app, spec, policies.get(spec.arn, ("", ()))[0]) for spec in declared]
    for arn, (policy, where) in policies.items():
        if arn not in {spec.arn for spec in declared}:
            _policy_elsewhere(ctx, app, arn, policy, where)
    wanted = subscriptions(app)
    rows += [_subscription(ctx, app, spec) for spec in wanted]
    keep = {spec.arn for spec in wanted}
    for sub in ctx.topics.template_subscriptions():
        if sub.arn not in keep:  # gone from the template: a stack update would delete it
            ctx.topics.delete_subscription(sub.arn)
    return rows


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _error(app: Application, where: tuple[str, ...], message: str) -> TemplateError:
    stack = next(s for s in app.root.walk() if s.path == where[:-1])
    return TemplateError(str(stack.template_file), where[-1], message)


def _topic(ctx: SnsContext, app: Application, spec: TopicSpec, policy: str) -> ProvisionedResource:
    try:
        attrs = attributes.check_create_attributes(spec.attributes)
        fifo = attrs.get("FifoTopic") == "true"
        names.check_topic_name(spec.name, fifo)
        if policy:
            attrs["Policy"] = attributes.check_topic_attribute("Policy", policy, fifo=fifo)
    except AwsError as exc:
        raise _error(app, spec.where, exc.message) from exc
    fingerprint = _fingerprint(attrs, spec.tags)
    existing = ctx.topics.topic(spec.arn)
    if existing is None or ctx.topics.topic_fingerprint(spec.arn) != fingerprint:
        merged = {**(existing.attributes if existing else {}), **attrs}
        tags = {**(existing.tags if existing else {}), **spec.tags}
        ctx.topics.put_topic(Topic(spec.arn, spec.name, merged, tags), ctx.clock())
        ctx.topics.set_topic_fingerprint(spec.arn, fingerprint)
    return ProvisionedResource("sns", "topic", spec.name, "FIFO" if fifo else "")


def _policy_elsewhere(
    ctx: SnsContext, app: Application, arn: str, policy: str, where: tuple[str, ...]
) -> None:
    """A TopicPolicy on a topic the template does not declare (made through the API)."""
    topic = ctx.topics.topic(arn)
    if topic is None:
        log.warning("SNS: %s names topic %s, which does not exist; ignored", where[-1], arn)
        return
    try:
        value = attributes.check_topic_attribute("Policy", policy, fifo=topic.fifo)
    except AwsError as exc:
        raise _error(app, where, exc.message) from exc
    ctx.topics.put_topic(replace(topic, attributes={**topic.attributes, "Policy": value}), 0.0)


def _skipped(spec: SubscriptionSpec, reason: str) -> ProvisionedResource:
    log.warning("SNS: %s: subscription skipped: %s", spec.where[-1], reason)
    return ProvisionedResource(
        "sns", "subscription", f"{spec.protocol}:{spec.endpoint}", f"skipped: {reason}"
    )


def _subscription(ctx: SnsContext, app: Application, spec: SubscriptionSpec) -> ProvisionedResource:
    topic = ctx.topics.topic(spec.topic_arn)
    if topic is None:
        return _skipped(spec, f"topic {spec.topic_arn} is not declared in the template")
    try:
        names.check_endpoint(spec.protocol, spec.endpoint, topic.fifo)
        attrs = attributes.check_subscribe_attributes(spec.attributes, spec.protocol, topic)
    except AwsError as exc:
        if spec.protocol in ("http", "https", "application", "firehose"):
            return _skipped(spec, exc.message)
        raise _error(app, spec.where, exc.message) from exc
    fingerprint = _fingerprint(spec.topic_arn, spec.protocol, spec.endpoint, attrs)
    existing = ctx.topics.subscription(spec.arn)
    if existing is None or ctx.topics.subscription_fingerprint(spec.arn) != fingerprint:
        _apply(ctx, spec, attrs, existing, fingerprint)
    return _row(topic, spec, attrs)


def _apply(
    ctx: SnsContext,
    spec: SubscriptionSpec,
    attrs: dict[str, str],
    existing: Subscription | None,
    fingerprint: str,
) -> None:
    now = ctx.clock()
    confirmed = spec.protocol in ("sqs", "lambda") or (
        existing is not None and existing.confirmed and existing.endpoint == spec.endpoint
    )
    token = None
    if not confirmed:
        token = existing.token if existing and existing.token else secrets.token_hex(64)
    sub = Subscription(
        arn=spec.arn,
        topic_arn=spec.topic_arn,
        protocol=spec.protocol,
        endpoint=spec.endpoint,
        confirmed=confirmed,
        attributes=attrs,
        token=token,
        token_created=now,
        origin="template",
    )
    ctx.topics.put_subscription(sub, now, fingerprint)
    if not confirmed and spec.protocol in ("http", "https"):
        ctx.outbox.enqueue_confirmation(
            "subscribe", sub.arn, sub.topic_arn, sub.protocol, sub.endpoint, sub.token or "", now
        )


def _row(topic: Topic, spec: SubscriptionSpec, attrs: dict[str, str]) -> ProvisionedResource:
    details = []
    if "FilterPolicy" in attrs:
        details.append(f"filter on {attrs.get('FilterPolicyScope', 'MessageAttributes')}")
    if attrs.get("RawMessageDelivery") == "true":
        details.append("raw")
    if "RedrivePolicy" in attrs:
        details.append("DLQ")
    if spec.function is not None:
        via = " (via SQS)" if spec.protocol == "sqs" else ""
        return ProvisionedResource(
            "lambda", "SNS event source", f"{topic.name} -> {spec.function}{via}",
            ", ".join(details),
        )  # fmt: skip
    target = (
        spec.endpoint.rsplit(":", 1)[-1] if spec.protocol in ("sqs", "lambda") else spec.endpoint
    )
    return ProvisionedResource(
        "sns", "subscription", f"{topic.name} -> {spec.protocol}:{target}", ", ".join(details)
    )
