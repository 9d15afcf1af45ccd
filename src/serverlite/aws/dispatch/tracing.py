"""The trace header of each request to the AWS endpoint, made current for its operation.

botocore sends ``X-Amzn-Trace-Id`` from the function's ``_X_AMZN_TRACE_ID``; this
middleware makes it the request's ``observe.tracing.CURRENT``, so ``calls.call``
records the call as a subsegment of the calling function and the operations that
pass a trace on (SQS's AWSTraceHeader, Lambda Invoke, PutEvents) find it.
"""

from __future__ import annotations

from contextvars import Token

from starlette.types import ASGIApp, Receive, Scope, Send

from serverlite.observe.publishing import Publisher
from serverlite.observe.service_metrics import PUBLISHER
from serverlite.observe.trace_header import parse
from serverlite.observe.tracing import CURRENT, CallContext, Tracer

_HEADER = b"x-amzn-trace-id"


class TraceHeaders:
    def __init__(
        self, app: ASGIApp, tracer: Tracer | None, publisher: Publisher | None = None
    ) -> None:
        self.app = app
        self.tracer = tracer
        self.publisher = publisher  # the services' own metrics of each call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # One frame, not one per concern: every request to the endpoint passes here.
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        entered = enter(scope, self.tracer, self.publisher)
        try:
            await self.app(scope, receive, send)
        finally:
            leave(entered)


Entered = tuple[Token[CallContext | None] | None, Token[Publisher | None] | None]


def enter(scope: Scope, tracer: Tracer | None, publisher: Publisher | None) -> Entered:
    """The request's trace header (when it has one) and ``publisher`` made current;
    ``leave`` undoes it."""
    traced = None
    if tracer is not None:
        header = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                header = parse(value.decode("latin-1"))
        if header is not None:
            traced = CURRENT.set(CallContext(tracer, header))
    return traced, PUBLISHER.set(publisher) if publisher is not None else None


def leave(entered: Entered) -> None:
    traced, published = entered
    if traced is not None:
        CURRENT.reset(traced)
    if published is not None:
        PUBLISHER.reset(published)
