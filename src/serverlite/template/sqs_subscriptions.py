"""SAM's ``SqsSubscription`` on a function's SNS event: a queue between the topic and the
function. SNS subscribes the queue; an SQS event source mapping drains it into the
function. Both services read the declaration from here (SAM's transform makes the
queue, the subscription and the mapping from this one property).

``SqsSubscription: true`` makes an implicit queue (SAM names it ``<Function><Event>Queue``;
serverlite names it as any resource); ``{QueueArn, BatchSize, Enabled}`` uses a given one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, FunctionSpec


@dataclass(frozen=True)
class QueueSubscription:
    """``SqsSubscription`` on a function's SNS event: queue -> function via SQS."""

    function: str  # the function's physical name
    queue_name: str
    queue_arn: str
    implicit: bool  # SAM creates the queue (``SqsSubscription: true``)
    batch_size: int = 10
    enabled: bool = True


def queue_subscription(
    app: Application, fn: FunctionSpec, event: str, props: Mapping[str, Any]
) -> QueueSubscription | None:
    option = props.get("SqsSubscription")
    if option is None or option is False or to_cfn_string(option) == "false":
        return None
    if isinstance(option, Mapping):
        arn = to_cfn_string(option.get("QueueArn")) or ""
        batch = int(to_cfn_string(option.get("BatchSize")) or 10)
        enabled = to_cfn_string(option.get("Enabled")) != "false"
        return QueueSubscription(fn.name, arn.rsplit(":", 1)[-1], arn, False, batch, enabled)
    # SAM names the queue <Function><Event>Queue; serverlite names it as any resource.
    name = "-".join((*fn.stack_path, f"{fn.logical_id}{event}Queue"))
    arn = f"arn:aws:sqs:{app.region}:{app.account_id}:{name}"
    return QueueSubscription(fn.name, name, arn, True)


def queue_subscriptions(app: Application) -> list[QueueSubscription]:
    """Every SqsSubscription: the queues SQS should drain into the functions."""
    found = []
    for fn in app.functions:
        for event in fn.events:
            if event.type == "SNS":
                queue = queue_subscription(app, fn, event.name, event.properties)
                if queue is not None:
                    found.append(queue)
    return found
