"""Invoke's lane: the call made most to the endpoint, served in one frame.

Every request to the endpoint passes a chain of ASGI layers, each a frame that every
await of the request goes back through: Starlette, ``shield`` (and its wrapper around
``send``), the injected faults, ``admission``, S3's router, the trace header
(``tracing``), then the router. A request for one of the lane's routes (Lambda's
Invoke) that admission lets in and that is not S3's is served here instead, with what
those layers would do to it: the faults, the trace header and the publisher made
current, the route's endpoint run, and an exception answered as ``shield`` answers it
(AWS's InternalFailure, or the connection closed when half an answer is out). Any
other request, one those layers refuse or send elsewhere included, goes down the chain
unchanged, which answers it as it always has.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from serverlite.aws.dispatch import shield, tracing
from serverlite.aws.dispatch.faults import FAULTS, ServiceFaults
from serverlite.aws.dispatch.rest_json import Endpoint
from serverlite.observe.publishing import Publisher
from serverlite.observe.tracing import Tracer


class Lane:
    def __init__(
        self,
        app: ASGIApp,  # the chain: every request the lane does not take
        routes: list[Route],
        *,
        refused: Callable[[Scope], bool],  # admission would refuse it, or S3 takes it
        faults: ServiceFaults | None,
        tracer: Tracer | None,
        publisher: Publisher | None,
    ) -> None:
        self.app = app
        self._routes: list[tuple[re.Pattern[str], set[str], Endpoint]] = []
        for route in routes:
            assert isinstance(route.app, Endpoint)  # rest_json.routes' own
            self._routes.append((route.path_regex, route.methods or set(), route.app))
        self._refused = refused
        self._faults = faults
        self._tracer = tracer
        self._publisher = publisher
        self._traced = tracer is not None or publisher is not None  # as the chain has it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            endpoint = self._taken(scope)
        except Exception:  # the chain answers it, as before (shield: InternalFailure)
            endpoint = None
        if endpoint is None:
            await self.app(scope, receive, send)
            return
        faults = FAULTS.set(self._faults) if self._faults is not None else None
        entered: tracing.Entered = (None, None)
        started = False
        try:
            if self._traced:
                entered = tracing.enter(scope, self._tracer, self._publisher)
            start, body = await endpoint.answer(scope, receive)
            started = True  # as shield counts it: from the head's send on
            await send(start)
            await send(body)
            return
        except Exception:
            request_id = shield.logged(scope)
            if started:  # half an answer is out: only closing can tell the client
                raise
        finally:
            tracing.leave(entered)
            if faults is not None:
                FAULTS.reset(faults)
        await shield.internal_failure(scope, request_id)(scope, receive, send)

    def _taken(self, scope: Scope) -> Endpoint | None:
        """The endpoint of a request the lane serves, its path parameters put in the
        scope as the router puts them; None for any other."""
        if scope["type"] != "http" or scope.get("root_path"):
            return None
        method, path = scope["method"], scope["path"]
        for regex, methods, endpoint in self._routes:
            if method in methods and (match := regex.match(path)) is not None:
                if self._refused(scope):
                    return None
                scope["path_params"] = match.groupdict()  # str parameters, as routed
                return endpoint
        return None
