"""The X-Ray backend: its rest-json routes, as botocore's ``xray`` model names them."""

from __future__ import annotations

from serverlite.aws.backend import (
    Backend,
    Operations,
    RestJsonService,
    RestRoute,
    ServiceContext,
)
from serverlite.aws.xray.ops import OPERATIONS, XrayContext

ROUTES = (
    RestRoute("POST", "/TraceSegments", "PutTraceSegments", json=True),
    RestRoute("POST", "/TraceSummaries", "GetTraceSummaries", json=True),
    RestRoute("POST", "/Traces", "BatchGetTraces", json=True),
    RestRoute("POST", "/ServiceGraph", "GetServiceGraph", json=True),
    RestRoute("POST", "/TraceGraph", "GetTraceGraph", json=True),
)


class XrayBackend(Backend):
    name = "xray"
    title = "X-Ray"

    def __init__(self, context: ServiceContext) -> None:
        self.ctx = XrayContext(context)
        self._rest = RestJsonService(
            ROUTES,
            Operations("X-Ray", self.ctx, OPERATIONS, malformed="InvalidRequestException"),
            max_request_bytes=5 * 1024 * 1024,
            message_key="Message",
        )

    @property
    def rest(self) -> RestJsonService:
        return self._rest
