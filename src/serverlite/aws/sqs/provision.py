"""The template's queues (AWS::SQS::Queue) and queue policies (AWS::SQS::QueuePolicy).

Queues are created first and given their redrive policies second, so a dead-letter
queue declared after its source is found. A restart with the same declaration
leaves a queue (and attributes changed through the API since) alone; a changed
declaration is applied, as a stack update would.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from serverlite.aws.backend import ProvisionedResource
from serverlite.errors import TemplateError
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, ResourceSpec

from . import errors, queue_attributes
from .engine import SqsEngine
from .names import QueueRef, check_name, parse_arn, parse_url
from .ops_queues import check_redrive
from .records import Queue

QUEUE = "AWS::SQS::Queue"
QUEUE_POLICY = "AWS::SQS::QueuePolicy"
_ATTRIBUTES = (
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
)
_POLICIES = ("RedrivePolicy", "RedriveAllowPolicy")


def provision(engine: SqsEngine, app: Application) -> list[ProvisionedResource]:
    declared = [r for r in app.resources if r.type == QUEUE]
    wanted = {r.logical_id + "/".join(r.stack_path): _declaration(app, r) for r in declared}
    rows = []
    for ref, attributes, tags in wanted.values():  # first every queue, without its DLQ
        if engine.queues.get(ref) is None:
            base = {k: v for k, v in attributes.items() if k != "RedrivePolicy"}
            engine.queues.create(ref, base, tags, engine.clock())
            engine.queues.set_provisioned_fingerprint(ref, "")  # the second pass completes it
    for resource in declared:  # then the redrive policies, now that every target exists
        ref, attributes, tags = wanted[resource.logical_id + "/".join(resource.stack_path)]
        queue = _ensure(engine, app, resource, ref, attributes, tags)
        policy = queue.redrive_policy
        kind = "FIFO queue" if queue.fifo else "queue"
        detail = ""
        if policy is not None:
            target = parse_arn(policy.dead_letter_target_arn)
            detail = f"DLQ {target.name if target else policy.dead_letter_target_arn}"
            detail += f" after {policy.max_receive_count} receives"
        rows.append(ProvisionedResource("sqs", kind, ref.name, detail))
    for resource in app.resources:
        if resource.type == QUEUE_POLICY:
            rows += _queue_policy(engine, app, resource)
    return rows


def _declaration(
    app: Application, resource: ResourceSpec
) -> tuple[QueueRef, dict[str, str], dict[str, str]]:
    props = resource.properties
    ref = parse_url(resource.physical_id)
    attributes: dict[str, str] = {}
    for name in _ATTRIBUTES:
        text = to_cfn_string(props.get(name))
        if text is not None:
            attributes[name] = text
    for name in _POLICIES:
        value = props.get(name)
        if isinstance(value, Mapping):
            attributes[name] = json.dumps(dict(value))
        elif value is not None:
            attributes[name] = str(to_cfn_string(value) or "")
    tags = {
        str(tag.get("Key")): str(to_cfn_string(tag.get("Value")) or "")
        for tag in props.get("Tags") or []
        if isinstance(tag, Mapping)
    }
    fifo = attributes.get("FifoQueue") == "true"
    try:
        check_name(ref.name, fifo)
        attributes = queue_attributes.check(attributes, fifo=fifo, creating=True)
    except errors.SqsError as exc:
        raise _template_error(app, resource, exc.message) from exc
    return ref, {**queue_attributes.defaults(fifo), **attributes}, tags


def _ensure(
    engine: SqsEngine,
    app: Application,
    resource: ResourceSpec,
    ref: QueueRef,
    attributes: dict[str, str],
    tags: dict[str, str],
) -> Queue:
    fingerprint = hashlib.sha256(
        json.dumps([attributes, tags], sort_keys=True).encode()
    ).hexdigest()
    queue = engine.queues.get(ref)
    if queue is not None and engine.queues.provisioned_fingerprint(ref) == fingerprint:
        return queue
    try:
        check_redrive(engine, ref, attributes, attributes.get("FifoQueue") == "true")
    except errors.SqsError as exc:
        raise _template_error(app, resource, exc.message) from exc
    assert queue is not None  # created by the first pass
    kept = {k: v for k, v in queue.attributes.items() if k == "Policy"}
    engine.queues.set_attributes(queue.id, {**attributes, **kept}, engine.clock())
    engine.queues.set_tags(queue.id, tags)
    engine.queues.set_provisioned_fingerprint(ref, fingerprint)
    return engine.find(ref)


def _queue_policy(
    engine: SqsEngine, app: Application, resource: ResourceSpec
) -> list[ProvisionedResource]:
    document = resource.properties.get("PolicyDocument")
    text = json.dumps(document) if isinstance(document, Mapping) else to_cfn_string(document)
    rows = []
    for url in resource.properties.get("Queues") or []:
        queue = engine.queues.get(parse_url(str(url)))
        if queue is None:
            raise _template_error(app, resource, f"Queues: no queue {url}")
        if text and queue.attributes.get("Policy") != text:
            engine.queues.set_attributes(
                queue.id, {**queue.attributes, "Policy": text}, engine.clock()
            )
        rows.append(ProvisionedResource("sqs", "queue policy", queue.name, resource.logical_id))
    return rows


def _template_error(app: Application, resource: ResourceSpec, message: str) -> TemplateError:
    stack = next(s for s in app.root.walk() if s.path == resource.stack_path)
    return TemplateError(str(stack.template_file), f"Resources.{resource.logical_id}", message)
