"""SQS event source mappings from the template, checked as CreateEventSourceMapping does.

Two spellings declare one: a function's ``Events: {Type: SQS}`` (SAM) and an
``AWS::Lambda::EventSourceMapping`` whose EventSourceArn is a queue. Mappings on
other sources (streams, Kafka) are left to whatever handles them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from serverlite.errors import TemplateError
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.mapping_properties import (
    RESOURCE_TYPE,
    Fail,
    filter_criteria,
    integer,
    template_file,
)
from serverlite.template.model import Application, FunctionSpec
from serverlite.template.sqs_subscriptions import queue_subscriptions

from ..names import QueueRef, parse_arn

if TYPE_CHECKING:
    from serverlite.patterns import Pattern

MAX_BATCH = 10_000
MAX_FIFO_BATCH = 10
MAX_WINDOW_S = 300
MIN_CONCURRENCY, MAX_CONCURRENCY = 2, 1000
RESPONSE_TYPES = ("ReportBatchItemFailures",)


@dataclass(frozen=True)
class SqsMapping:
    uuid: str
    function: str  # the function's physical name
    queue_arn: str
    queue: QueueRef
    batch_size: int = 10
    window_s: int = 0
    enabled: bool = True
    report_batch_item_failures: bool = False
    filters: tuple[Pattern, ...] = ()
    max_concurrency: int | None = None
    origin: str = ""  # where the template declares it, for messages


def mappings(app: Application) -> list[SqsMapping]:
    """Every SQS mapping the template declares; TemplateError for one AWS would refuse."""
    found: list[SqsMapping] = []
    for fn in app.functions:
        for event in fn.events:
            if event.type == "SQS":
                where = f"Resources.{fn.logical_id}.Properties.Events.{event.name}"
                stable = uuid.uuid5(uuid.NAMESPACE_URL, f"{fn.arn}#{event.name}")
                found.append(
                    _mapping(
                        template_file(app, fn.stack_path), where, str(stable), fn, event.properties
                    )
                )
    found.extend(_sns_queue_mappings(app))
    for resource in app.resources:
        if resource.type != RESOURCE_TYPE:
            continue
        props = resource.properties
        if parse_arn(str(to_cfn_string(props.get("EventSourceArn")) or "")) is None:
            continue  # a stream or another source: not an SQS mapping
        where = f"Resources.{resource.logical_id}"
        file = template_file(app, resource.stack_path)
        target = to_cfn_string(props.get("FunctionName")) or ""
        target_fn = app.find_function(target)
        if target_fn is None:
            raise TemplateError(file, f"{where}.Properties.FunctionName", f"no function {target!r}")
        queue_props = {**props, "Queue": props.get("EventSourceArn")}
        found.append(_mapping(file, where, resource.physical_id, target_fn, queue_props))
    return found


def _sns_queue_mappings(app: Application) -> list[SqsMapping]:
    """SAM's ``SqsSubscription`` on an SNS event: the queue drains into the function."""
    found = []
    for sub in queue_subscriptions(app):
        queue = parse_arn(sub.queue_arn)
        if queue is None:
            continue
        stable = uuid.uuid5(uuid.NAMESPACE_URL, f"{sub.function}#{sub.queue_arn}")
        found.append(
            SqsMapping(
                uuid=str(stable),
                function=sub.function,
                queue_arn=sub.queue_arn,
                queue=queue,
                batch_size=sub.batch_size,
                enabled=sub.enabled,
                origin=f"SqsSubscription of {sub.function}",
            )
        )
    return found


def _mapping(
    file: str, where: str, mapping_id: str, fn: FunctionSpec, props: Mapping[str, Any]
) -> SqsMapping:
    def fail(prop: str, message: str) -> TemplateError:
        return TemplateError(file, f"{where}.Properties.{prop}" if prop else where, message)

    arn = to_cfn_string(props.get("Queue")) or ""
    queue = parse_arn(arn)
    if queue is None:
        raise fail("Queue", f"needs an SQS queue ARN, got {props.get('Queue')!r}")
    batch_size = integer(props, "BatchSize", 10, fail)
    window = integer(props, "MaximumBatchingWindowInSeconds", 0, fail)
    limit = MAX_FIFO_BATCH if queue.fifo else MAX_BATCH
    if not 1 <= batch_size <= limit:
        raise fail("BatchSize", f"must be between 1 and {limit} for this queue, got {batch_size}")
    if not 0 <= window <= MAX_WINDOW_S:
        raise fail("MaximumBatchingWindowInSeconds", f"must be 0-{MAX_WINDOW_S}, got {window}")
    if queue.fifo and window:
        raise fail("MaximumBatchingWindowInSeconds", "is not supported for FIFO queues")
    if batch_size > 10 and window < 1:
        raise fail(
            "MaximumBatchingWindowInSeconds",
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10",
        )
    types = props.get("FunctionResponseTypes") or []
    if not isinstance(types, list) or any(t not in RESPONSE_TYPES for t in types):
        raise fail("FunctionResponseTypes", f"only {RESPONSE_TYPES[0]} is supported, got {types}")
    return SqsMapping(
        uuid=mapping_id,
        function=fn.name,
        queue_arn=arn,
        queue=queue,
        batch_size=batch_size,
        window_s=window,
        enabled=to_cfn_string(props.get("Enabled")) != "false",
        report_batch_item_failures=bool(types),
        filters=filter_criteria(props.get("FilterCriteria"), fail),
        max_concurrency=_concurrency(props.get("ScalingConfig"), fail),
        origin=where,
    )


def _concurrency(config: Any, fail: Fail) -> int | None:
    if not isinstance(config, Mapping) or config.get("MaximumConcurrency") is None:
        return None
    value = integer(config, "MaximumConcurrency", 0, fail)
    if not MIN_CONCURRENCY <= value <= MAX_CONCURRENCY:
        raise fail(
            "ScalingConfig.MaximumConcurrency",
            f"must be between {MIN_CONCURRENCY} and {MAX_CONCURRENCY}, got {value}",
        )
    return value
