"""The rest-json dispatcher: an operation per method and path (Lambda, EventBridge
Scheduler; S3's rest-xml will take the same route table with XML bodies).

Each route names an operation of the service's table. The operation gets the path
parameters, the query, the headers and the body (read within the service's limit) and
answers a JSON document (200) or a ``RestResponse``. Errors carry their code in
``x-amzn-ErrorType``, as botocore's rest-json parser reads it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from serverlite import fastjson
from serverlite.aws.backend import AwsError, RestJsonService, RestResponse, RestRoute
from serverlite.aws.dispatch import body, calls, errors
from serverlite.aws.dispatch.iam_check import IamCheck
from serverlite.ids import request_id as new_request_id

_NO_QUERY = QueryParams("")


def routes(service: RestJsonService, iam: IamCheck | None = None) -> list[Route]:
    return [
        Route(route.path, _endpoint(service, route, iam), methods=[route.method])
        for route in service.routes
    ]


def _endpoint(
    service: RestJsonService, route: RestRoute, iam: IamCheck | None
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        request_id = new_request_id()
        try:
            raw = await body.read(
                request,
                service.max_request_bytes,
                route.operation,
                service.operations.too_large,
            )
            parts = {
                "path": request.path_params,
                # Most calls have no query string: one empty (immutable) set serves them.
                "query": request.query_params if request.scope["query_string"] else _NO_QUERY,
                "headers": request.headers,
                "body": body.json_object(raw) if route.json else raw,
            }
            if iam is not None:
                iam.check(request.scope, service.operations, route.operation, parts, "rest-json")
            result = await calls.call(service.operations, route.operation, parts, request_id)
            if not isinstance(result, RestResponse):
                result = RestResponse(fastjson.dumps(result))
        except AwsError as exc:
            return errors.rest_json_error(exc, request_id, message_key=service.message_key)
        return Response(
            result.body,
            status_code=result.status,
            headers={"x-amzn-RequestId": request_id, **result.headers},
            media_type=result.media_type,
        )

    return endpoint
