"""The smithy-rpc-v2-cbor dispatcher: ``POST /service/{Service}/operation/{Operation}``
with a CBOR body (CloudWatch, as botocore 1.44 and the AWS CLI speak it).

The service is the one whose JSON face has that target prefix: rpc-v2-cbor carries the
same operations and shapes as AWS's JSON protocol, in CBOR. Timestamps travel as CBOR
tag 1 (epoch seconds); requests' are read into epoch numbers, as JSON clients send
them, and responses' are tagged where botocore's model says a member is a timestamp.
Errors carry ``__type`` in the body and, for query-compatible services, the query
code in ``x-amzn-query-error`` (botocore prefers it).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

import cbor2
from starlette.requests import Request
from starlette.responses import Response

from serverlite.aws.backend import AwsError, JsonService
from serverlite.aws.dispatch import body, calls
from serverlite.aws.dispatch.errors import CORAL, FRAMEWORK
from serverlite.aws.dispatch.iam_check import IamCheck
from serverlite.ids import request_id as new_request_id

PATH = "/service/{service}/operation/{operation}"
_HEADERS = {"smithy-protocol": "rpc-v2-cbor"}


def _tag(tag: cbor2.CBORTag, immutable: bool) -> Any:
    if tag.tag == 1 and isinstance(tag.value, (int, float)):
        return float(tag.value)
    return tag


def _epoch(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _epoch(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_epoch(v) for v in value]
    return value


def decode(raw: bytes) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = cbor2.loads(raw, tag_hook=_tag)
    except (cbor2.CBORDecodeError, ValueError, TypeError) as exc:
        raise AwsError(
            "SerializationException", f"The request body is not valid CBOR: {exc}"
        ) from exc
    if not isinstance(value, dict):
        raise AwsError("SerializationException", "The request body must be a CBOR map")
    return _epoch(value)  # type: ignore[no-any-return]


def tag_timestamps(value: Any, shape: Any) -> Any:
    """``value`` with every member botocore's ``shape`` types as a timestamp in tag 1."""
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "timestamp" and isinstance(value, (int, float)):
        return cbor2.CBORTag(1, float(value))
    if kind == "structure" and isinstance(value, dict):
        return {
            k: tag_timestamps(v, shape.members.get(k)) if k in shape.members else v
            for k, v in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [tag_timestamps(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: tag_timestamps(v, shape.value) for k, v in value.items()}
    return value


def _error(exc: AwsError, request_id: str, namespace: str) -> Response:
    code = exc.code
    if code in FRAMEWORK:
        namespace = CORAL
        code = code if code.endswith("Exception") else f"{code}Exception"
    document = {"__type": f"{namespace}{code}", "message": exc.message, **exc.fields}
    return Response(
        cbor2.dumps(document),
        status_code=exc.status,
        media_type="application/cbor",
        headers={**_HEADERS, **exc.headers, "x-amzn-RequestId": request_id},
    )


async def dispatch(
    request: Request, services: Mapping[str, JsonService], iam: IamCheck | None = None
) -> Response:
    request_id = new_request_id()
    target = request.path_params.get("service", "")
    name = request.path_params.get("operation", "")
    service = services.get(target)
    if service is None:
        unknown = AwsError("UnknownOperation", f"serverlite does not implement {target!r}")
        return _error(unknown, request_id, "")
    try:
        if name not in service.operations.table:
            raise AwsError(
                "UnknownOperation",
                f"serverlite's {service.operations.service} does not implement {name}",
            )
        raw = await body.read(
            request, service.max_request_bytes, name, service.operations.too_large
        )
        params = decode(raw)
        if iam is not None:  # CloudWatch is query-compatible: AccessDenied, 403
            iam.check(request.scope, service.operations, name, params, "query")
        result = await calls.call(
            service.operations, name, params, request_id, malformed="SerializationException"
        )
        model = service.model
        if model is not None:
            result = tag_timestamps(result, model.operation_model(name).output_shape)
        content = cbor2.dumps(result)
    except AwsError as exc:
        return _error(exc, request_id, service.error_namespace)
    return Response(
        content,
        media_type="application/cbor",
        headers={**_HEADERS, "x-amzn-RequestId": request_id},
    )
