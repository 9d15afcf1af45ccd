"""Stream event source mappings from the template, checked as CreateEventSourceMapping
does: a function's ``Events: {Type: Kinesis}`` / ``{Type: DynamoDB}`` (SAM) and an
``AWS::Lambda::EventSourceMapping`` whose EventSourceArn is a Kinesis stream or a
DynamoDB stream. SQS mappings are the SQS service's (``aws/sqs/mapping``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.errors import TemplateError
from serverlite.patterns import Pattern
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.mapping_properties import (
    RESOURCE_TYPE,
    Fail,
    filter_criteria,
    integer,
    template_file,
)
from serverlite.template.model import Application, FunctionSpec

EVENT_TYPES = ("Kinesis", "DynamoDB")
POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
MAX_BATCH = 10_000
MAX_WINDOW_S = 300
MAX_TUMBLING_S = 900
MAX_RETRIES = 10_000
MIN_AGE_S, MAX_AGE_S = 60, 604_800


@dataclass(frozen=True)
class StreamMapping:
    uuid: str
    function: str  # the function's physical name
    function_arn: str
    role_arn: str  # invokeIdentityArn in Kinesis records
    source_arn: str
    kind: str  # "kinesis" | "dynamodb"
    starting_position: str
    starting_timestamp: float | None = None
    batch_size: int = 100
    window_s: float = 0
    parallelization: int = 1
    bisect: bool = False
    max_retries: int = -1  # -1: until the records expire
    max_age_s: int = -1
    on_failure: str | None = None  # an SQS queue or SNS topic ARN
    report_batch_item_failures: bool = False
    tumbling_window_s: int = 0
    filters: tuple[Pattern, ...] = ()
    enabled: bool = True
    origin: str = ""  # where the template declares it, for messages


def source_kind(arn: str) -> str | None:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn":
        return None
    if parts[2] == "kinesis" and parts[5].startswith("stream/"):
        return "kinesis"
    if parts[2] == "dynamodb" and "/stream/" in parts[5]:
        return "dynamodb"
    return None


def mappings(app: Application) -> list[StreamMapping]:
    """Every stream mapping the template declares; TemplateError for one AWS would refuse."""
    found: list[StreamMapping] = []
    for fn in app.functions:
        for event in fn.events:
            if event.type in EVENT_TYPES:
                where = f"Resources.{fn.logical_id}.Properties.Events.{event.name}"
                stable = uuid.uuid5(uuid.NAMESPACE_URL, f"{fn.arn}#{event.name}")
                props = {**event.properties, "EventSourceArn": event.properties.get("Stream")}
                found.append(
                    _mapping(template_file(app, fn.stack_path), where, str(stable), fn, props)
                )
    for resource in app.resources:
        if resource.type != RESOURCE_TYPE:
            continue
        declared = resource.properties
        if source_kind(str(to_cfn_string(declared.get("EventSourceArn")) or "")) is None:
            continue  # an SQS queue or another source
        where = f"Resources.{resource.logical_id}"
        file = template_file(app, resource.stack_path)
        target = to_cfn_string(declared.get("FunctionName")) or ""
        target_fn = app.find_function(target)
        if target_fn is None:
            raise TemplateError(file, f"{where}.Properties.FunctionName", f"no function {target!r}")
        found.append(_mapping(file, where, resource.physical_id, target_fn, declared))
    return found


def _between(value: int, low: int, high: int, name: str, fail: Fail) -> int:
    if not low <= value <= high:
        raise fail(name, f"must be between {low} and {high}, got {value}")
    return value


def _timestamp(value: Any, fail: Fail) -> float:
    text = to_cfn_string(value)
    try:
        return float(str(text))
    except ValueError:
        import datetime

        try:
            return datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
        except ValueError as exc:
            raise fail("StartingPositionTimestamp", f"is not a time: {value!r}") from exc


def _mapping(
    file: str,
    where: str,
    mapping_id: str,
    fn: FunctionSpec,
    props: Mapping[str, Any],
    refuse: Fail | None = None,
) -> StreamMapping:
    """``refuse``: how a bad setting is refused (the API's error); a TemplateError else."""

    def template_error(prop: str, message: str) -> Exception:
        return TemplateError(file, f"{where}.Properties.{prop}" if prop else where, message)

    fail = refuse or template_error

    arn = to_cfn_string(props.get("EventSourceArn")) or ""
    kind = source_kind(arn)
    if kind is None:
        raise fail("Stream", f"needs a Kinesis or DynamoDB stream ARN, got {arn!r}")
    position = to_cfn_string(props.get("StartingPosition"))
    if position not in POSITIONS:
        raise fail("StartingPosition", f"must be one of {', '.join(POSITIONS)}, got {position!r}")
    moment = None
    if position == "AT_TIMESTAMP":
        if props.get("StartingPositionTimestamp") is None:
            raise fail("StartingPositionTimestamp", "is required with AT_TIMESTAMP")
        moment = _timestamp(props["StartingPositionTimestamp"], fail)
    retries = integer(props, "MaximumRetryAttempts", -1, fail)
    _between(retries, -1, MAX_RETRIES, "MaximumRetryAttempts", fail)
    age = integer(props, "MaximumRecordAgeInSeconds", -1, fail)
    if age != -1:
        _between(age, MIN_AGE_S, MAX_AGE_S, "MaximumRecordAgeInSeconds", fail)
    types = props.get("FunctionResponseTypes") or []
    if not isinstance(types, list) or any(t != "ReportBatchItemFailures" for t in types):
        raise fail(
            "FunctionResponseTypes", f"only ReportBatchItemFailures is supported, got {types}"
        )
    return StreamMapping(
        uuid=mapping_id,
        function=fn.name,
        function_arn=fn.arn,
        role_arn=fn.role or f"arn:aws:iam::{fn.arn.split(':')[4]}:role/{fn.name}-role",
        source_arn=arn,
        kind=kind,
        starting_position=str(position),
        starting_timestamp=moment,
        batch_size=_between(
            integer(props, "BatchSize", 100, fail), 1, MAX_BATCH, "BatchSize", fail
        ),
        window_s=_between(
            integer(props, "MaximumBatchingWindowInSeconds", 0, fail),
            0,
            MAX_WINDOW_S,
            "MaximumBatchingWindowInSeconds",
            fail,
        ),
        parallelization=_between(
            integer(props, "ParallelizationFactor", 1, fail), 1, 10, "ParallelizationFactor", fail
        ),
        bisect=to_cfn_string(props.get("BisectBatchOnFunctionError")) == "true",
        max_retries=retries,
        max_age_s=age,
        on_failure=_on_failure(props.get("DestinationConfig"), fail),
        report_batch_item_failures=bool(types),
        tumbling_window_s=_between(
            integer(props, "TumblingWindowInSeconds", 0, fail),
            0,
            MAX_TUMBLING_S,
            "TumblingWindowInSeconds",
            fail,
        ),
        filters=filter_criteria(props.get("FilterCriteria"), fail),
        enabled=to_cfn_string(props.get("Enabled")) != "false",
        origin=where,
    )


def _on_failure(config: Any, fail: Fail) -> str | None:
    if not isinstance(config, Mapping) or not isinstance(config.get("OnFailure"), Mapping):
        return None
    arn = to_cfn_string(config["OnFailure"].get("Destination")) or ""
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if service not in ("sqs", "sns"):
        # Stream sources send failure records to a queue or a topic (S3 and Kafka too on
        # AWS, which serverlite does not emulate as destinations).
        raise fail("DestinationConfig.OnFailure.Destination", f"must be an SQS or SNS ARN: {arn!r}")
    return arn


def from_api(
    mapping_id: str, fn: FunctionSpec, body: Mapping[str, Any], refuse: Fail
) -> StreamMapping:
    """A mapping CreateEventSourceMapping asks for, checked as the template's are."""
    return _mapping("", f"event-source-mapping:{mapping_id}", mapping_id, fn, body, refuse)
