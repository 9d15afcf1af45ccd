"""The rest-json dispatcher: an operation per method and path (Lambda, EventBridge
Scheduler; S3's rest-xml will take the same route table with XML bodies).

Each route names an operation of the service's table. The operation gets the path
parameters, the query, the headers and the body (read within the service's limit) and
answers a JSON document (200) or a ``RestResponse``. Errors carry their code in
``x-amzn-ErrorType``, as botocore's rest-json parser reads it.

Lambda's Invoke comes this way, so each route is a plain ASGI app (Starlette's router,
or the endpoint's lane for Invoke, hands it the path parameters in the scope): no
Request or Response object is made for a call, the headers are read once into a dict,
and the answer is the two ASGI messages a Starlette ``Response`` would send, byte for
byte.
"""

from __future__ import annotations

from starlette.datastructures import QueryParams
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from serverlite import fastjson
from serverlite.aws.backend import AwsError, RestJsonService, RestResponse, RestRoute
from serverlite.aws.dispatch import body, calls, errors
from serverlite.aws.dispatch.iam_check import IamCheck
from serverlite.ids import request_id as new_request_id

_NO_QUERY = QueryParams("")


def routes(service: RestJsonService, iam: IamCheck | None = None) -> list[Route]:
    return [
        Route(route.path, Endpoint(service, route, iam), methods=[route.method])
        for route in service.routes
    ]


def operation_of(route: Route) -> str:
    """The operation a route of ``routes`` serves."""
    assert isinstance(route.app, Endpoint)
    return route.app.route.operation


class Endpoint:
    """One route's operation as an ASGI app."""

    def __init__(self, service: RestJsonService, route: RestRoute, iam: IamCheck | None) -> None:
        self.service = service
        self.route = route
        self.iam = iam

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, body = await self.answer(scope, receive)
        await send(start)
        await send(body)

    async def answer(self, scope: Scope, receive: Receive) -> tuple[Message, Message]:
        """The two ASGI messages of the answer (an AWS error's too); raises only what
        no dispatcher answers (``shield``)."""
        service, route = self.service, self.route
        request_id = new_request_id()
        request_headers = headers(scope["headers"])
        try:
            raw = await body.receive(
                receive,
                request_headers.get("content-length"),
                service.max_request_bytes,
                route.operation,
                service.operations.too_large,
            )
            query_string = scope["query_string"]
            parts = {
                "path": scope["path_params"],
                # Most calls have no query string: one empty (immutable) set serves them.
                "query": QueryParams(query_string) if query_string else _NO_QUERY,
                "headers": request_headers,
                "body": body.json_object(raw) if route.json else raw,
                "request_id": request_id,  # the id the client is given (Invoke's, too)
            }
            if self.iam is not None:
                self.iam.check(scope, service.operations, route.operation, parts, "rest-json")
            result = await calls.call(service.operations, route.operation, parts, request_id)
            if not isinstance(result, RestResponse):
                result = RestResponse(fastjson.dumps(result))
        except AwsError as exc:
            error = errors.rest_json_error(exc, request_id, message_key=service.message_key)
            # What the error Response would send (it has no background task).
            return (
                {
                    "type": "http.response.start",
                    "status": error.status_code,
                    "headers": error.raw_headers,
                },
                {"type": "http.response.body", "body": error.body},
            )
        return _start(result, request_id), {"type": "http.response.body", "body": result.body}


def headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The request's headers by (lowercase, as ASGI gives them) name; of a repeated one,
    the first, as Starlette's ``Headers`` reads it."""
    found: dict[str, str] = {}
    for name, value in raw:
        key = name.decode("latin-1")
        if key not in found:
            found[key] = value.decode("latin-1")
    return found


def _start(result: RestResponse, request_id: str) -> Message:
    """The response head as Starlette's ``Response`` writes it: names lowercased, the
    request id first, then the operation's headers, the length (none for 204/304) and
    the media type."""
    raw = [(b"x-amzn-requestid", request_id.encode("latin-1"))]
    has_length = has_type = False
    for name, value in result.headers.items():
        key = name.lower().encode("latin-1")
        if key == b"x-amzn-requestid":
            raw[0] = (key, value.encode("latin-1"))  # the operation's own (Invoke's)
            continue
        has_length = has_length or key == b"content-length"
        has_type = has_type or key == b"content-type"
        raw.append((key, value.encode("latin-1")))
    status = result.status
    if not has_length and status >= 200 and status not in (204, 304):
        raw.append((b"content-length", b"%d" % len(result.body)))
    media_type = result.media_type
    if media_type is not None and not has_type:
        if media_type.startswith("text/") and "charset=" not in media_type.lower():
            media_type += "; charset=utf-8"
        raw.append((b"content-type", media_type.encode("latin-1")))
    return {"type": "http.response.start", "status": status, "headers": raw}
