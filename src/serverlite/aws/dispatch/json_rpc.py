"""The JSON 1.0/1.1 dispatcher: ``POST /`` with ``X-Amz-Target: Prefix.Operation``
(DynamoDB, SQS, SSM, Secrets Manager, EventBridge).

The target names the service and the operation; the body is read within the service's
limit and must be one JSON object. A malformed body or a request of the wrong shape is
AWS's ``SerializationException``; an unknown operation ``UnknownOperationException``;
both in the coral namespace, as AWS's front end answers them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from serverlite import fastjson
from serverlite.aws.backend import AwsError, EventStreamOutput, JsonService
from serverlite.aws.dispatch import body, calls, errors, event_stream
from serverlite.aws.dispatch.iam_check import IamCheck
from serverlite.ids import request_id as new_request_id

MALFORMED = "SerializationException"


async def dispatch(
    request: Request, services: Mapping[str, JsonService], iam: IamCheck | None = None
) -> Response:
    request_id = new_request_id()
    target = request.headers.get("x-amz-target", "")
    prefix, _, name = target.partition(".")
    service = services.get(prefix)
    if service is None:
        version = "1.1" if request.headers.get("content-type", "").endswith("1.1") else "1.0"
        unknown = AwsError("UnknownOperation", f"serverlite does not implement {target!r}")
        return errors.json_error(unknown, request_id, version=version)
    try:
        if name not in service.operations.table:  # answered before the body is read
            raise AwsError(
                "UnknownOperation",
                f"serverlite's {service.operations.service} does not implement {name}",
            )
        raw = await body.read(
            request, service.max_request_bytes, name, service.operations.too_large
        )
        params = body.json_object(raw)
        if iam is not None:
            iam.check(request.scope, service.operations, name, params, "json")
        result = await calls.call(service.operations, name, params, request_id, malformed=MALFORMED)
        if isinstance(result, EventStreamOutput):
            return StreamingResponse(
                _framed(result),
                media_type=event_stream.CONTENT_TYPE,
                headers={"x-amzn-RequestId": request_id},
            )
        content = fastjson.dumps(result)
    except AwsError as exc:
        return errors.json_error(
            exc, request_id, version=service.json_version, namespace=service.error_namespace
        )
    return Response(
        content,
        media_type=f"application/x-amz-json-{service.json_version}",
        headers={"x-amzn-RequestId": request_id},
    )


async def _framed(output: EventStreamOutput) -> AsyncIterator[bytes]:
    """An event stream output in AWS's framing; the stream's modelled error ends it."""
    yield event_stream.event("initial-response", output.initial)
    try:
        async for event_type, members in output.events:
            yield event_stream.event(event_type, members)
    except AwsError as exc:
        yield event_stream.exception(exc.code, exc.message)
