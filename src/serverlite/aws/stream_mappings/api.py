"""Lambda's event source mapping API for stream sources (rest-json, as botocore's
``lambda`` client sends it): CreateEventSourceMapping, GetEventSourceMapping,
ListEventSourceMappings, UpdateEventSourceMapping, DeleteEventSourceMapping.

Mappings made here are kept in the state directory and run like the template's; the
template's are listed and read here too, but change only with the template. An SQS
mapping is declared in the template (its queue's poller is SQS's), and this API says
so rather than pretending to make one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from serverlite.aws.backend import AwsError, RestResponse, RestRoute, ServiceContext
from serverlite.template.model import FunctionSpec

from .spec import StreamMapping, from_api, source_kind


class StreamMappings(Protocol):
    """What the API needs of the backend (``service.StreamMappings``)."""

    context: ServiceContext
    mappings: list[StreamMapping]
    api_bodies: dict[str, dict[str, Any]]
    modified: dict[str, float]

    def function(self, name: Any) -> FunctionSpec: ...
    def find(self, mapping_id: str) -> StreamMapping: ...
    def add(self, mapping: StreamMapping, body: dict[str, Any]) -> None: ...
    def replace(self, mapping: StreamMapping, body: dict[str, Any]) -> None: ...
    def remove(self, mapping: StreamMapping) -> None: ...


API = "/2015-03-31/event-source-mappings"
ROUTES = (
    RestRoute("POST", API, "CreateEventSourceMapping", json=True),
    RestRoute("POST", f"{API}/", "CreateEventSourceMapping", json=True),
    RestRoute("GET", API, "ListEventSourceMappings"),
    RestRoute("GET", f"{API}/", "ListEventSourceMappings"),
    RestRoute("GET", f"{API}/{{uuid}}", "GetEventSourceMapping"),
    RestRoute("PUT", f"{API}/{{uuid}}", "UpdateEventSourceMapping", json=True),
    RestRoute("DELETE", f"{API}/{{uuid}}", "DeleteEventSourceMapping"),
)
UPDATABLE = (
    "Enabled",
    "BatchSize",
    "FilterCriteria",
    "MaximumBatchingWindowInSeconds",
    "ParallelizationFactor",
    "DestinationConfig",
    "MaximumRecordAgeInSeconds",
    "BisectBatchOnFunctionError",
    "MaximumRetryAttempts",
    "TumblingWindowInSeconds",
    "FunctionResponseTypes",
)


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValueException", message, 400, Type="User")


def _not_found(mapping_id: str) -> AwsError:
    return AwsError(
        "ResourceNotFoundException",
        f"The resource you requested does not exist. (Service: Lambda, mapping {mapping_id})",
        404,
        Type="User",
    )


def describe(
    owner: StreamMappings, mapping: StreamMapping, state: str | None = None
) -> dict[str, Any]:
    """EventSourceMappingConfiguration, as Lambda answers it."""
    region, account = owner.context.region, owner.context.account_id
    config: dict[str, Any] = {
        "UUID": mapping.uuid,
        "StartingPosition": mapping.starting_position,
        "BatchSize": mapping.batch_size,
        "MaximumBatchingWindowInSeconds": int(mapping.window_s),
        "ParallelizationFactor": mapping.parallelization,
        "EventSourceArn": mapping.source_arn,
        "FunctionArn": mapping.function_arn,
        "LastModified": owner.modified.get(mapping.uuid, 0.0),
        "LastProcessingResult": "No records processed",
        "State": state or ("Enabled" if mapping.enabled else "Disabled"),
        "StateTransitionReason": "User action",
        "DestinationConfig": {"OnFailure": {"Destination": mapping.on_failure}}
        if mapping.on_failure
        else {"OnFailure": {}},
        "MaximumRecordAgeInSeconds": mapping.max_age_s,
        "BisectBatchOnFunctionError": mapping.bisect,
        "MaximumRetryAttempts": mapping.max_retries,
        "TumblingWindowInSeconds": mapping.tumbling_window_s,
        "FunctionResponseTypes": ["ReportBatchItemFailures"]
        if mapping.report_batch_item_failures
        else [],
        "EventSourceMappingArn": (
            f"arn:aws:lambda:{region}:{account}:event-source-mapping:{mapping.uuid}"
        ),
    }
    if mapping.starting_timestamp is not None:
        config["StartingPositionTimestamp"] = mapping.starting_timestamp
    raw = owner.api_bodies.get(mapping.uuid, {})
    if raw.get("FilterCriteria"):
        config["FilterCriteria"] = raw["FilterCriteria"]
    return config


def _accepted(document: dict[str, Any]) -> RestResponse:
    return RestResponse(json.dumps(document).encode(), 202)


def refuse(prop: str, message: str) -> Exception:
    return invalid(f"{prop} {message}" if prop else message)


def create(owner: StreamMappings, request: dict[str, Any]) -> RestResponse:
    body = request["body"]
    arn = body.get("EventSourceArn")
    if not isinstance(arn, str) or not arn:
        raise invalid("EventSourceArn is required")
    if source_kind(arn) is None:
        if arn.split(":")[2:3] == ["sqs"]:
            raise invalid(
                "serverlite makes SQS event source mappings from the template only (an SQS "
                "event or AWS::Lambda::EventSourceMapping); this API makes stream mappings"
            )
        raise invalid(f"Unsupported event source type: {arn}")
    fn = owner.function(body.get("FunctionName"))
    for mapping in owner.mappings:
        if mapping.source_arn == arn and mapping.function == fn.name:
            raise AwsError(
                "ResourceConflictException",
                f'An event source mapping with {source_kind(arn)} arn (" {arn} ") and '
                f'function (" {fn.name} ") already exists. Please update or delete the '
                f"existing mapping with UUID {mapping.uuid}",
                409,
                Type="User",
            )
    mapping = from_api(str(uuid.uuid4()), fn, body, refuse)
    owner.add(mapping, dict(body))
    return _accepted(describe(owner, mapping, "Creating"))


def get(owner: StreamMappings, request: dict[str, Any]) -> dict[str, Any]:
    return describe(owner, owner.find(request["path"]["uuid"]))


def list_mappings(owner: StreamMappings, request: dict[str, Any]) -> dict[str, Any]:
    query = request["query"]
    mappings = list(owner.mappings)
    if query.get("EventSourceArn"):
        mappings = [m for m in mappings if m.source_arn == query["EventSourceArn"]]
    if query.get("FunctionName"):
        fn = owner.function(query["FunctionName"])
        mappings = [m for m in mappings if m.function == fn.name]
    try:
        size = int(query.get("MaxItems") or 100)
    except ValueError:
        raise invalid("MaxItems must be a number") from None
    start = int(query["Marker"]) if str(query.get("Marker") or "").isdigit() else 0
    page = mappings[start : start + size]
    result: dict[str, Any] = {"EventSourceMappings": [describe(owner, m) for m in page]}
    if start + size < len(mappings):
        result["NextMarker"] = str(start + size)
    return result


def _owned(owner: StreamMappings, mapping_id: str) -> StreamMapping:
    mapping = owner.find(mapping_id)
    if mapping.uuid not in owner.api_bodies:
        raise invalid(
            f"the event source mapping {mapping_id} is declared in the template "
            f"({mapping.origin}); change it there"
        )
    return mapping


def update(owner: StreamMappings, request: dict[str, Any]) -> RestResponse:
    mapping = _owned(owner, request["path"]["uuid"])
    changes = {k: v for k, v in request["body"].items() if k in UPDATABLE}
    body = {**owner.api_bodies[mapping.uuid], **changes}
    fn = owner.function(request["body"].get("FunctionName") or mapping.function)
    updated = from_api(mapping.uuid, fn, body, refuse)
    owner.replace(updated, body)
    return _accepted(describe(owner, updated, "Updating"))


def delete(owner: StreamMappings, request: dict[str, Any]) -> RestResponse:
    mapping = _owned(owner, request["path"]["uuid"])
    owner.remove(mapping)
    return _accepted(describe(owner, mapping, "Deleting"))


OPERATIONS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "CreateEventSourceMapping": create,
    "GetEventSourceMapping": get,
    "ListEventSourceMappings": list_mappings,
    "UpdateEventSourceMapping": update,
    "DeleteEventSourceMapping": delete,
}


def find_or_fail(mappings: list[StreamMapping], mapping_id: str) -> StreamMapping:
    for mapping in mappings:
        if mapping.uuid == mapping_id:
            return mapping
    raise _not_found(mapping_id)
