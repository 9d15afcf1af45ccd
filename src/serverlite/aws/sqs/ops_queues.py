"""Queue operations: CreateQueue, GetQueueUrl, ListQueues, Get/SetQueueAttributes,
DeleteQueue, PurgeQueue, tags, permissions and ListDeadLetterSourceQueues.

Each takes the engine and the request as botocore sends it, and returns the response
as botocore parses it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from . import errors, queue_attributes
from .engine import SqsEngine
from .names import QueueRef, check_name
from .records import Queue
from .redrive import parse_redrive_policy

PURGE_INTERVAL_S = 60.0
RECREATE_AFTER_S = 60.0
MAX_TAGS = 50
MAX_LIST = 1000
_POLICIES = ("Policy", "RedrivePolicy", "RedriveAllowPolicy")

Params = Mapping[str, Any]
Result = dict[str, Any]


def create_queue(engine: SqsEngine, params: Params) -> Result:
    name = params.get("QueueName")
    if not isinstance(name, str) or not name:
        raise errors.missing_parameter("QueueName")
    raw = dict(params.get("Attributes") or {})
    fifo = str(raw.get("FifoQueue", "")).lower() == "true"
    check_name(name, fifo)
    ref = QueueRef(engine.account, name)
    checked = queue_attributes.check(raw, fifo=fifo, creating=True)
    existing = engine.queues.get(ref)
    if existing is not None:
        for key, value in checked.items():
            if existing.attributes.get(key, "") != value:
                raise errors.SqsError(
                    "QueueNameExists",
                    "A queue already exists with the same name and a different value for "
                    f"attribute {key}",
                )
        return {"QueueUrl": engine.url(existing)}
    deleted_at = engine.queues.deleted_at(ref)
    if deleted_at is not None and engine.clock() - deleted_at < RECREATE_AFTER_S:
        raise errors.SqsError(
            "QueueDeletedRecently",
            "You must wait 60 seconds after deleting a queue before you can create another "
            "with the same name.",
        )
    tags = _tags(params.get("tags") or {})
    attributes = {**queue_attributes.defaults(fifo), **checked}
    check_redrive(engine, ref, attributes, fifo)
    queue = engine.queues.create(ref, _without_empty(attributes), tags, engine.clock())
    return {"QueueUrl": engine.url(queue)}


def get_queue_url(engine: SqsEngine, params: Params) -> Result:
    name = params.get("QueueName")
    if not isinstance(name, str) or not name:
        raise errors.missing_parameter("QueueName")
    account = params.get("QueueOwnerAWSAccountId") or engine.account
    return {"QueueUrl": engine.url(engine.find(QueueRef(str(account), name)))}


def list_queues(engine: SqsEngine, params: Params) -> Result:
    prefix = params.get("QueueNamePrefix") or ""
    limit = params.get("MaxResults")
    if limit is not None and (not isinstance(limit, int) or not 1 <= limit <= MAX_LIST):
        raise errors.invalid_value(
            "MaxResults", limit, f"MaxResults must be an integer between 1 and {MAX_LIST}."
        )
    after = _decode_token(params.get("NextToken"))
    names = [
        queue
        for queue in engine.queues.all(engine.account)
        if queue.name.startswith(prefix) and queue.name > after
    ]
    page = names[: limit or MAX_LIST]
    result: Result = {}
    if page:
        result["QueueUrls"] = [engine.url(queue) for queue in page]
    # As on AWS, a NextToken only comes back when MaxResults was given.
    if limit is not None and len(names) > len(page):
        result["NextToken"] = base64.b64encode(page[-1].name.encode()).decode()
    return result


def get_queue_attributes(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    names = queue_attributes.requested(params.get("AttributeNames") or [], queue.fifo)
    if not names:
        return {}
    values = dict(queue.attributes)
    values["QueueArn"] = engine.arn(queue)
    values["CreatedTimestamp"] = str(int(queue.created))
    values["LastModifiedTimestamp"] = str(int(queue.modified))
    if any(name.startswith("Approximate") for name in names):
        counts = engine.counts(queue)
        values["ApproximateNumberOfMessages"] = str(counts.visible)
        values["ApproximateNumberOfMessagesNotVisible"] = str(counts.in_flight)
        values["ApproximateNumberOfMessagesDelayed"] = str(counts.delayed)
    return {"Attributes": {name: values[name] for name in names if name in values}}


def set_queue_attributes(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    raw = params.get("Attributes")
    if not raw:
        raise errors.missing_parameter("Attributes")
    checked = queue_attributes.check(raw, fifo=queue.fifo, creating=False)
    attributes = {**queue.attributes, **checked}
    check_redrive(engine, queue.ref, attributes, queue.fifo)
    engine.queues.set_attributes(queue.id, _without_empty(attributes), engine.clock())
    return {}


def delete_queue(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    engine.queues.delete(queue, engine.clock())
    engine.notifier.notify(queue.id)
    return {}


def purge_queue(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    now = engine.clock()
    if queue.purged_at is not None and now - queue.purged_at < PURGE_INTERVAL_S:
        raise errors.SqsError(
            "PurgeQueueInProgress",
            f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
        )
    engine.messages.purge(queue.id)
    engine.queues.set_purged(queue.id, now)
    return {}


def tag_queue(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    tags = {**queue.tags, **_tags(params.get("Tags") or {})}
    if len(tags) > MAX_TAGS:
        raise errors.invalid_parameter(f"Too many tags added for queue {queue.name}.")
    engine.queues.set_tags(queue.id, tags)
    return {}


def untag_queue(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    removed = set(params.get("TagKeys") or [])
    engine.queues.set_tags(queue.id, {k: v for k, v in queue.tags.items() if k not in removed})
    return {}


def list_queue_tags(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    return {"Tags": dict(queue.tags)} if queue.tags else {}


def list_dead_letter_source_queues(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    sources = dead_letter_sources(engine, engine.arn(queue))
    return {"queueUrls": [engine.url(source) for source in sources]}


def add_permission(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    label = params.get("Label")
    if not label:
        raise errors.missing_parameter("Label")
    policy = _policy(queue)
    if any(statement.get("Sid") == label for statement in policy["Statement"]):
        raise errors.invalid_value("Label", label, "Already exists.")
    policy["Statement"].append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {
                "AWS": [f"arn:aws:iam::{a}:root" for a in params.get("AWSAccountIds") or []]
            },
            "Action": [f"SQS:{action}" for action in params.get("Actions") or []],
            "Resource": engine.arn(queue),
        }
    )
    _save_policy(engine, queue, policy)
    return {}


def remove_permission(engine: SqsEngine, params: Params) -> Result:
    queue = engine.by_url(params.get("QueueUrl"))
    policy = _policy(queue)
    kept = [s for s in policy["Statement"] if s.get("Sid") != params.get("Label")]
    if len(kept) == len(policy["Statement"]):
        raise errors.invalid_value(
            "Label", params.get("Label"), "can't find label on existing policy."
        )
    policy["Statement"] = kept
    _save_policy(engine, queue, policy if kept else None)
    return {}


# -- shared -----------------------------------------------------------------------------


def check_redrive(
    engine: SqsEngine, ref: QueueRef, attributes: Mapping[str, str], fifo: bool
) -> None:
    """A RedrivePolicy must name an existing queue of the same type that accepts us."""
    text = attributes.get("RedrivePolicy", "")
    policy = parse_redrive_policy(text)
    if policy is None:
        return
    target = engine.by_arn(policy.dead_letter_target_arn)
    if target is None:
        raise errors.invalid_value("RedrivePolicy", text, "Dead letter target does not exist.")
    if target.fifo != fifo:
        raise errors.invalid_value(
            "RedrivePolicy", text, "Dead-letter queue must be same type of queue as the source."
        )
    source_arn = f"arn:aws:sqs:{engine.region}:{ref.account}:{ref.name}"
    allow = target.redrive_allow_policy
    if allow is not None and not allow.allows(source_arn):
        raise errors.invalid_value(
            "RedrivePolicy",
            text,
            f"The RedriveAllowPolicy of {policy.dead_letter_target_arn} does not allow "
            f"{source_arn} as a source queue.",
        )


def dead_letter_sources(engine: SqsEngine, dlq_arn: str) -> list[Queue]:
    found = []
    for queue in engine.queues.all():
        policy = queue.redrive_policy
        if policy is not None and policy.dead_letter_target_arn == dlq_arn:
            found.append(queue)
    return found


def _without_empty(attributes: Mapping[str, str]) -> dict[str, str]:
    """Setting a policy to "" removes it."""
    return {k: v for k, v in attributes.items() if not (k in _POLICIES and v == "")}


def _tags(raw: Any) -> dict[str, str]:
    if not isinstance(raw, Mapping) or len(raw) > MAX_TAGS:
        raise errors.invalid_parameter(f"A queue can have at most {MAX_TAGS} tags.")
    return {str(k): str(v) for k, v in raw.items()}


def _decode_token(token: Any) -> str:
    if not token:
        return ""
    try:
        return base64.b64decode(str(token), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise errors.invalid_value("NextToken", token, "Invalid NextToken value.") from exc


def _policy(queue: Queue) -> dict[str, Any]:
    text = queue.attributes.get("Policy")
    if text:
        policy: dict[str, Any] = json.loads(text)
        policy.setdefault("Statement", [])
        return policy
    return {"Version": "2012-10-17", "Id": f"{queue.name}/SQSDefaultPolicy", "Statement": []}


def _save_policy(engine: SqsEngine, queue: Queue, policy: dict[str, Any] | None) -> None:
    attributes = dict(queue.attributes)
    if policy is None:
        attributes.pop("Policy", None)
    else:
        attributes["Policy"] = json.dumps(policy, separators=(",", ":"))
    engine.queues.set_attributes(queue.id, attributes, engine.clock())
