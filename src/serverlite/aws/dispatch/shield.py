"""The last line: an exception no dispatcher answered becomes AWS's InternalFailure.

Starlette would answer it with a plain-text 500 and re-raise it, and uvicorn, seeing an
exception after the response, closes the connection without saying
``Connection: close``: the client's next request on it fails. Here the exception is
logged once, with the request id the client is given, and answered in the shape of the
protocol the request speaks; the connection stays usable.
"""

from __future__ import annotations

import logging

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serverlite.aws.backend import AwsError
from serverlite.aws.dispatch import errors
from serverlite.ids import request_id as new_request_id

log = logging.getLogger("serverlite.aws")


class Shield:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            request_id = logged(scope)
            if started:  # half an answer is out: only closing can tell the client
                raise
            await internal_failure(scope, request_id)(scope, receive, send)


def logged(scope: Scope) -> str:
    """Log the exception being handled, once, with the request id the client is given."""
    request_id = new_request_id()
    log.exception("%s %s failed (request %s)", scope["method"], scope["path"], request_id)
    return request_id


def internal_failure(scope: Scope, request_id: str) -> Response:
    """AWS's InternalFailure, in the shape of the protocol the request speaks."""
    failure = AwsError("InternalFailure", f"serverlite failed (request {request_id})", 500)
    return errors.error_for(scope, failure, request_id)
