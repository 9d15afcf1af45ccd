"""The AWS endpoint: one port that speaks the wire protocols of the emulated services.

Requests are dispatched by protocol: ``X-Amz-Target`` (JSON 1.0/1.1 services),
form-encoded query protocol, or REST paths (Lambda). Each service lives in its own
module and contributes routes or targets here.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from serverlite import __version__
from serverlite.aws import lambda_api
from serverlite.aws.errors import rest_json_error
from serverlite.invoker import Invoker


def build_app(invoker: Invoker) -> Starlette:
    async def health(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "running",
                "version": __version__,
                "functions": [fn.name for fn in invoker.app.functions],
            }
        )

    async def not_found(request: Request, exc: Exception) -> Response:
        return rest_json_error(
            "UnknownOperationException",
            f"serverlite does not implement {request.method} {request.url.path}",
            404,
        )

    return Starlette(
        routes=[Route("/_serverlite/health", health, methods=["GET"]), *lambda_api.routes(invoker)],
        exception_handlers={404: not_found, 405: not_found},
    )
