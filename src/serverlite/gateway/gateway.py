"""One API's request pipeline: route, throttle, keys, validate, authorize, invoke, respond.

``Gateway.handle(HttpRequest) -> HttpResponse`` knows nothing of sockets: the HTTP
server and the test client both enter here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from serverlite import fastjson, ids
from serverlite.aws.local_client import LocalAws
from serverlite.errors import InvokeError, TooManyRequests
from serverlite.functions.environment_process import INIT_TIMEOUT_S
from serverlite.gateway import cors, errors, forwarding, integrations
from serverlite.gateway.auth import ALLOWED, Authorizer, AuthRequest, AuthResult
from serverlite.gateway.authorizers import build_authorizer
from serverlite.gateway.http import HttpRequest, HttpResponse, Refusal, RequestLimits
from serverlite.gateway.model import ApiSpec, RouteSpec
from serverlite.gateway.payloads import (
    EventContext,
    build_v1,
    build_v2,
    media_type_matches,
    new_request_id,
)
from serverlite.gateway.responses import MalformedResponse, from_v1, from_v2
from serverlite.gateway.routing import Match, Router
from serverlite.gateway.throttling import Throttles
from serverlite.gateway.validation import RequestValidator
from serverlite.invoker import Invoker, InvokeRequest, InvokeResult
from serverlite.observe.publishing import Publisher
from serverlite.observe.trace_header import TraceHeader
from serverlite.observe.tracing import CURRENT, CallContext, Tracer

if TYPE_CHECKING:
    import httpx

MAX_BODY = 10 * 1024 * 1024  # API Gateway's payload limit
# API Gateway's quotas (REST and HTTP APIs): 10,240 bytes of request line and header
# values, a regional API's URL of 10,240 characters, a 10 MB payload. None can be raised.
LIMITS = RequestLimits(max_url=10240, max_head=10240, max_body=MAX_BODY)


@dataclass(slots=True)
class _Trace:
    """One request's X-Ray segment while it is made (API Gateway's stage segment, and
    its ``Lambda`` subsegment whose id the function's trace header names as parent)."""

    start: float
    started: float  # perf_counter
    header: TraceHeader | None = None
    segment_id: str = ""
    integration_id: str = ""
    integration: tuple[float, float] | None = None
    function: str | None = None
    host: str | None = None  # the request's Host, for the segment's URL


_NO_TRACES = Tracer(None, region="", account_id="")
_NO_METRICS = Publisher(None)
_REFUSALS: dict[Refusal, errors.GatewayError] = {
    "bad_request": errors.BAD_REQUEST,
    "uri_too_long": errors.URI_TOO_LONG,
    "head_too_large": errors.PAYLOAD_TOO_LARGE,
    "body_too_large": errors.PAYLOAD_TOO_LARGE,
    "timeout": errors.REQUEST_TIMEOUT,
}


class Gateway:
    def __init__(
        self,
        api: ApiSpec,
        invoker: Invoker,
        *,
        authorizer: Authorizer | None = None,
        throttles: Throttles | None = None,
        clock: Callable[[], float] = time.time,
        port: int | None = None,
        tracer: Tracer | None = None,
        publisher: Publisher | None = None,
        aws: LocalAws | None = None,
    ) -> None:
        """``port``: where the API is served (what functions see as X-Forwarded-Port);
        ``aws``: the emulated services, for integrations with AWS services
        (a state machine's Api event starts an execution)."""
        self.aws = aws
        self.api = api
        self.invoker = invoker
        # Off unless given (the invoker's own tracer, when it has one, by default).
        self.tracer = tracer or getattr(invoker, "tracer", None) or _NO_TRACES
        self.publisher = publisher or getattr(invoker, "publisher", None) or _NO_METRICS
        self._observed = self.tracer.enabled or self.publisher.enabled
        self._segment_name = f"{api.logical_id}/{api.stage}"  # X-Ray's name: api/stage
        self._host = f"127.0.0.1:{port or 80}"  # the segment's URL for a request without Host
        self._api_metrics = self.publisher.api_recorder(
            rest=api.kind == "REST", api_name=api.logical_id, api_id=api.api_id, stage=api.stage
        )
        self.port = port
        self.router = Router(api.routes)
        self.authorizer: Authorizer | None = (
            authorizer if authorizer is not None else build_authorizer(api, invoker, clock=clock)
        )
        self.throttles = throttles or Throttles()
        self.validator = RequestValidator(api)
        self.forwarder = forwarding.Forwarder(api, port)
        self._clock = clock
        self._background: set[asyncio.Future[Any]] = set()
        self._http: httpx.AsyncClient | None = None  # HTTP_PROXY integrations, made on first use
        self._functions = {fn.name: fn for fn in invoker.app.functions}
        self.region = invoker.app.region
        self.account_id = invoker.app.account_id

    # -- the pipeline ------------------------------------------------------------
    async def handle(self, request: HttpRequest) -> HttpResponse:
        # REST: a UUID requestId and a short extendedRequestId (also x-amz-apigw-id);
        # HTTP APIs have only the short kind ("JKJaXmPLvHcESHA=", the guide's sample).
        extended_id = forwarding.extended_request_id()
        request_id = new_request_id() if self.api.kind == "REST" else extended_id
        trace = _Trace(self.tracer.now(), time.perf_counter()) if self._observed else None
        response = await self._handle(request, request_id, extended_id, trace)
        self._finish_headers(request, response, request_id, extended_id)
        if trace is not None:
            self._observe(trace, request, response, request_id)
        return response

    def _observe(
        self, trace: _Trace, request: HttpRequest, response: HttpResponse, request_id: str
    ) -> None:
        """The request's stage segment and AWS/ApiGateway metrics (one clock read)."""
        elapsed = time.perf_counter() - trace.started
        integration = trace.integration
        if trace.header is not None:
            api = self.api
            query = request.query
            self.tracer.api_segment(
                trace.header,
                trace.segment_id,
                trace.integration_id,
                name=self._segment_name,
                api_id=api.api_id,
                stage=api.stage,
                request_id=request_id,
                method=request.method,
                url=f"http://{trace.host or self._host}{request.path}{'?' if query else ''}{query}",
                client_ip=request.source_ip,
                status=response.status,
                start=trace.start,
                end=trace.start + elapsed,
                integration=integration,
                function_name=trace.function,
            )
        if self._api_metrics is not None:
            self._api_metrics(
                response.status,
                elapsed * 1000,
                None if integration is None else (integration[1] - integration[0]) * 1000,
                len(request.body) + len(response.body),
            )

    def refuse(self, reason: Refusal) -> HttpResponse:
        """The answer to a request the HTTP server refused while reading it."""
        kind = self.api.kind
        request_id = new_request_id() if kind == "REST" else forwarding.extended_request_id()
        return errors.error_response(kind, _REFUSALS[reason], request_id)

    async def _handle(
        self, request: HttpRequest, request_id: str, extended_id: str, trace: _Trace | None
    ) -> HttpResponse:
        api = self.api
        path, context_path = self.split_path(request.path)
        if api.kind == "HTTP":
            path = unquote(path)  # HTTP APIs route and deliver the decoded path
        if len(request.body) > MAX_BODY:
            return errors.error_response(api.kind, errors.PAYLOAD_TOO_LARGE, request_id)
        preflight = cors.preflight(api, self.router, request, path)
        if preflight is not None:
            return preflight
        match = self.router.match(request.method, path)
        if match is None:
            return errors.error_response(api.kind, errors.not_found(api.kind), request_id)
        route = match.route
        if not self._within_limits(route):
            return errors.error_response(api.kind, errors.THROTTLED, request_id)
        now = self._clock()
        forwarded, trace_root, sent = self.forwarder.forward(request, now)
        if trace is not None and self.tracer.enabled:
            # The function's trace continues from the integration's subsegment.
            trace.header, trace.segment_id, trace.integration_id, trace_id = (
                self.tracer.api_request(sent, trace_root)
            )
            trace.host = forwarded.header("host")  # its header table is made: a lookup
        else:
            trace_id = ids.trace_id(root=trace_root)
        if trace is not None and trace.header is not None and route.authorizer is not None:
            # A Lambda authorizer's invocation belongs to the request's trace, under the
            # stage segment (API Gateway records it there).
            token = CURRENT.set(CallContext(self.tracer, trace.header.child(trace.segment_id)))
            try:
                auth = await self._authorize(forwarded, route, path, match, request_id)
            finally:
                CURRENT.reset(token)
        else:
            auth = await self._authorize(forwarded, route, path, match, request_id)
        if auth.error is not None:
            refused = errors.error_response(api.kind, auth.error, request_id, auth.message)
            refused.headers.extend(auth.headers)  # www-authenticate of JWT authorizers
            return refused
        invalid = self.validator.check(route, request, match.path_parameters)
        if invalid is not None:
            return errors.error_response(api.kind, invalid[0], request_id, invalid[1])
        ctx = EventContext(
            api=api,
            route=route,
            path=path,
            path_parameters=match.path_parameters,
            request_id=request_id,
            account_id=self.account_id,
            region=self.region,
            authorizer=auth.context,
            now=now,
            context_path=context_path,
            extended_request_id=extended_id,
        )
        return await self._integrate(forwarded, ctx, trace_id, trace)

    def split_path(self, raw_path: str) -> tuple[str, str | None]:
        """The path without the stage, and (REST) ``requestContext.path``.

        Both /path (as sam local serves) and /{stage}/path (as AWS URLs have it) are
        served. As API Gateway does (observed on a REST API, LocalStack's AWS-validated
        snapshot of test_lambda_aws_proxy_integration): slashes doubled before the stage
        are collapsed everywhere (``//stage/x``: path ``/x``, context ``/stage/x``);
        slashes doubled after it are dropped from ``path`` but kept in the context
        (``/stage//x``: path ``/x``, context ``/stage//x``); later ones stay in both.
        """
        ok = raw_path[:1] == "/" and raw_path[1:2] != "/"
        path = raw_path if ok else "/" + raw_path.lstrip("/")
        stage = self.api.stage
        if stage != "$default":
            prefix = f"/{stage}"
            if path == prefix:
                return "/", None
            if path.startswith(prefix + "/"):
                rest = path[len(prefix) :]
                return ("/" + rest.lstrip("/") if rest[1:2] == "/" else rest), path
        return path, None

    def _within_limits(self, route: RouteSpec) -> bool:
        api = self.api
        return (
            self.throttles.allow(("account",), self.throttles.account)
            and self.throttles.allow((api.api_id, "stage"), api.throttle)
            and self.throttles.allow((api.api_id, route.route_key), route.throttle)
        )

    async def _authorize(
        self, request: HttpRequest, route: RouteSpec, path: str, match: Match, request_id: str
    ) -> AuthResult:
        needs_key = route.api_key_required and self.api.kind == "REST"
        if route.authorizer is None and not needs_key:
            return ALLOWED
        if self.authorizer is None:  # never let a protected route through unchecked
            return AuthResult(error=errors.UNAUTHORIZED)
        method_arn = (
            f"arn:aws:execute-api:{self.region}:{self.account_id}:{self.api.api_id}/"
            f"{self.api.stage}/{request.method}{path}"
        )
        return await self.authorizer.authorize(
            AuthRequest(
                api=self.api,
                route=route,
                request=request,
                path=path,
                path_parameters=match.path_parameters,
                request_id=request_id,
                method_arn=method_arn,
            )
        )

    async def _integrate(
        self, request: HttpRequest, ctx: EventContext, trace_id: str, trace: _Trace | None = None
    ) -> HttpResponse:
        route = ctx.route
        if trace is None:
            return await self._invoke(request, ctx, trace_id)
        started = time.perf_counter()
        start = trace.start + (started - trace.started)
        try:
            return await self._invoke(request, ctx, trace_id)
        finally:
            trace.function = route.function
            trace.integration = (start, start + (time.perf_counter() - started))

    async def _invoke(self, request: HttpRequest, ctx: EventContext, trace_id: str) -> HttpResponse:
        api, route = self.api, ctx.route
        if route.integration is not None:
            return await self._integrate_other(request, ctx)
        event = build_v1(request, ctx) if route.payload_version == "1.0" else build_v2(request, ctx)
        invoke = self.invoker.invoke(
            InvokeRequest(
                function=route.function,
                payload=fastjson.dumps(event),
                event=event,
                trace_id=trace_id,
            )
        )
        fn = self._functions.get(route.function)
        if fn is not None and (fn.timeout_s + INIT_TIMEOUT_S) * 1000 < route.timeout_ms:
            # The function (init included) ends before the integration could time out.
            coro: Awaitable[InvokeResult] = invoke
        else:
            task = asyncio.ensure_future(invoke)
            done, _ = await asyncio.wait({task}, timeout=route.timeout_ms / 1000)
            if not done:
                # The integration timed out; as on AWS the function runs on to its end.
                self._background.add(task)
                task.add_done_callback(self._background.discard)
                task.add_done_callback(_consume)
                return errors.error_response(
                    api.kind, errors.integration_timeout(api.kind), ctx.request_id
                )
            coro = task
        try:
            result = await coro
        except TooManyRequests:
            # Lambda's throttle reaches the client as an integration failure (500).
            failure = errors.GatewayError(
                500,
                errors.integration_failed(api.kind).message,
                "InternalServerErrorException",
                spaced=api.kind == "REST",
            )
            return errors.error_response(api.kind, failure, ctx.request_id)
        except InvokeError:
            return errors.error_response(
                api.kind, errors.integration_failed(api.kind), ctx.request_id
            )
        if result.function_error:
            return errors.error_response(
                api.kind, errors.integration_failed(api.kind), ctx.request_id
            )
        try:
            if api.kind == "REST":
                binary: Callable[[str | None], bool] = _never_binary
                if api.binary_media_types:
                    binary = partial(self._binary_response, request)
                response = from_v1(result.payload, binary, rest=True)
            elif route.payload_version == "1.0":
                response = from_v1(result.payload)
            else:
                response = from_v2(result.payload)
        except MalformedResponse:
            return errors.error_response(
                api.kind, errors.integration_failed(api.kind), ctx.request_id
            )
        return response

    async def _integrate_other(self, request: HttpRequest, ctx: EventContext) -> HttpResponse:
        """MOCK and HTTP_PROXY integrations (OpenAPI documents, AWS::ApiGateway::Method),
        StartExecution (a state machine's Api event)."""
        spec, kind = ctx.route.integration, self.api.kind
        assert spec is not None
        if spec.type == "MOCK":
            return integrations.mock_response(ctx.route)
        if spec.type == "START_EXECUTION" and self.aws is not None:
            return await integrations.start_execution(self.aws, ctx.route, request)
        if spec.type == "HTTP_PROXY":
            if self._http is None:
                import httpx  # only when a route proxies: not at every start

                # No proxies from the environment: the backend is on this machine.
                self._http = httpx.AsyncClient(trust_env=False)
            answer = await integrations.http_proxy(
                self._http, ctx.route, request, ctx.path_parameters, ctx.route.timeout_ms / 1000
            )
            if answer is not None:
                return answer
        return errors.error_response(kind, errors.integration_failed(kind), ctx.request_id)

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _binary_response(self, request: HttpRequest, content_type: str | None) -> bool:
        # REST sends a base64 body as binary only when the client's Accept header or
        # the response's Content-Type is one of the API's binary media types;
        # otherwise the base64 text itself goes out.
        types = self.api.binary_media_types
        accept = (request.header("accept") or "").split(",")[0].strip() or None
        return media_type_matches(accept, types) or media_type_matches(content_type, types)

    def _finish_headers(
        self, request: HttpRequest, response: HttpResponse, request_id: str, extended_id: str
    ) -> None:
        if self.api.kind == "REST":
            # Every REST response carries both ids, errors included (observed: LocalStack's
            # AWS-validated snapshot of test_aws_proxy_response_payload_format_validation).
            names = {name.lower() for name, _ in response.headers}
            if "x-amzn-requestid" not in names:
                response.headers.append(("x-amzn-RequestId", request_id))
            if "x-amz-apigw-id" not in names:
                response.headers.append(("x-amz-apigw-id", extended_id))
        elif response.header("apigw-requestid") is None:
            response.headers.append(("apigw-requestid", request_id))
        cors.add_response_headers(self.api, request, response)


def _never_binary(content_type: str | None) -> bool:
    return False  # a REST API without binary media types sends base64 bodies as text


def _consume(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # retrieved, so asyncio does not warn about it
