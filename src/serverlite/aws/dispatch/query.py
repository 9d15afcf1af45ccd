"""The query protocol's dispatcher: form-encoded ``Action=...`` in, XML out (SNS; SQS
for older SDKs and the v1 CLI).

The service is told apart by the signing name in the SigV4 credential scope, or, for
SNS's unsigned SubscribeURL/UnsubscribeURL links, by the ARN the link names. Its
limit applies while the body is read; parameters are parsed by botocore's model
(``query_protocol``) into the structured request a JSON client would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from serverlite.aws import query_protocol
from serverlite.aws.backend import AwsError, QueryService
from serverlite.aws.dispatch import body, calls, errors
from serverlite.aws.dispatch.iam_check import IamCheck
from serverlite.ids import request_id as new_request_id


async def dispatch(
    request: Request, services: Mapping[str, QueryService], iam: IamCheck | None = None
) -> Response:
    request_id = new_request_id()
    query = dict(request.query_params)
    name = query_protocol.signing_name(request) or query_protocol.service_in_arn(query)
    service = services.get(name or "")
    if service is None:
        return errors.query_error(
            AwsError(
                "InvalidAction",
                f"serverlite does not speak the query protocol for {name or 'this service'}",
            ),
            request_id,
        )
    try:
        raw = await body.read(
            request,
            service.max_request_bytes,
            query.get("Action", "query"),
            service.operations.too_large,
        )
        form = {**query, **_form(raw)}
        action = form.get("Action", "")
        result, operation = await _run(service, action, form, request_id, request, iam)
    except AwsError as exc:
        if exc.query_code:
            exc = AwsError(exc.query_code, exc.message, exc.status)
        return errors.query_error(exc, request_id, namespace=service.xml_namespace)
    return Response(
        query_protocol.document(service, operation, result, request_id),
        media_type="text/xml",
        headers={"x-amzn-RequestId": request_id},
    )


def _form(raw: bytes) -> dict[str, str]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AwsError("MalformedQueryString", "The request body is not valid UTF-8.", 400) from exc
    return dict(parse_qsl(text, keep_blank_values=True))


async def _run(
    service: QueryService,
    action: str,
    form: dict[str, str],
    request_id: str,
    request: Request,
    iam: IamCheck | None,
) -> tuple[Any, Any]:
    if action not in service.operations.table:
        raise AwsError("InvalidAction", f"The action {action} is not valid for this endpoint.")
    operation = service.model.operation_model(action)
    try:
        shape = operation.input_shape
        params = query_protocol.parse(shape, form, "") if shape is not None else {}
    except AwsError:
        raise
    except Exception as exc:  # a form botocore's model cannot read: the client's fault
        raise AwsError(service.operations.malformed, f"Malformed {action} request") from exc
    if iam is not None:
        iam.check(request.scope, service.operations, action, params or {}, "query")
    result = await calls.call(service.operations, action, params or {}, request_id)
    return result, operation
