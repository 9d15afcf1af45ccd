"""The AWS endpoint: one port that speaks the wire protocols of the emulated services.

Requests an SDK would not send (a foreign Host, a browser's Origin, no SigV4
signature) are refused first (``dispatch.admission``). The rest are dispatched by
protocol: ``X-Amz-Target`` (JSON 1.0/1.1 services,
``json_protocol``), form-encoded query protocol, or REST paths (Lambda). Each
service lives in its own module and contributes a ``JsonService`` or routes here.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from serverlite import __version__
from serverlite.aws import lambda_api, query_protocol
from serverlite.aws.dispatch.admission import Admission, AllowedHosts
from serverlite.aws.errors import rest_json_error
from serverlite.aws.json_protocol import JsonService, dispatch
from serverlite.aws.query_protocol import QueryService
from serverlite.invoker import Invoker

LOOPBACK_ONLY = AllowedHosts()


def build_app(
    invoker: Invoker,
    json_services: Sequence[JsonService] = (),
    query_services: Sequence[QueryService] = (),
    routes: Sequence[BaseRoute] = (),  # rest-json services' own paths (Scheduler, ...)
    hosts: AllowedHosts = LOOPBACK_ONLY,
) -> Starlette:
    services = {service.target_prefix: service for service in json_services}
    query = {service.signing_name: service for service in query_services}

    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "running",
                "version": __version__,
                "functions": [fn.name for fn in invoker.app.functions],
                "services": sorted({"lambda", *services, *query}),
            }
        )

    async def root(request: Request) -> Response:
        if "x-amz-target" in request.headers:
            return await dispatch(request, services)
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return await query_protocol.dispatch(request, query)
        if request.method == "GET" and "Action" in request.query_params:
            return await query_protocol.dispatch(request, query)  # SNS SubscribeURL, ...
        return rest_json_error(
            "UnknownOperationException",
            "serverlite's AWS endpoint: requests need X-Amz-Target or a service path",
            404,
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        return rest_json_error(
            "UnknownOperationException",
            f"serverlite does not implement {request.method} {request.url.path}",
            404,
        )

    return Starlette(
        routes=[
            Route("/", root, methods=["GET", "POST"]),
            Route("/_serverlite/health", health, methods=["GET"]),
            *lambda_api.routes(invoker),
            *routes,
        ],
        exception_handlers={404: not_found, 405: not_found},
        middleware=[Middleware(Admission, hosts=hosts)],  # what no SDK sends is refused first
    )
