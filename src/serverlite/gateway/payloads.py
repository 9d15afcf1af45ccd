"""The events API Gateway sends to functions: payload format 1.0 and 2.0.

Shapes follow AWS's samples (shared/aws-events/apiGatewayProxyEvent.json and
apiGatewayProxyV2Event.json). AWS's quirks kept here:
- v1 ``headers`` / ``queryStringParameters`` hold the *last* value of a repeated
  name; the ``multiValue*`` maps hold all of them.
- v2 lower-cases header names and joins repeated headers and query parameters with
  commas; cookies move from the Cookie header to ``cookies``.
- REST's ``requestContext.path`` carries the stage prefix; ``path`` does not.
- REST delivers the path and its parameters percent-encoded as sent; HTTP APIs
  deliver them decoded (``rawPath`` too); ``rawQueryString`` stays encoded.
- REST's ``path`` drops the slashes doubled after the stage (``/stage//x`` -> ``/x``)
  while ``requestContext.path`` keeps them (``/stage//x``); observed, with
  ``requestContext.deploymentId`` and an ``extendedRequestId`` of its own, in
  LocalStack's AWS-validated snapshot of test_lambda_aws_proxy_integration.
- The headers are the request's as API Gateway forwards them (forwarding.py).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from serverlite import ids
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.model import ApiSpec, RouteSpec

_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/ld+json",
    "application/fhir+json",
    "application/problem+json",
    "+json",
    "+xml",
)


@dataclass(slots=True)
class EventContext:
    """Everything about one request the events need besides the request itself."""

    api: ApiSpec
    route: RouteSpec
    path: str  # without the stage prefix: as sent for REST, percent-decoded for HTTP APIs
    path_parameters: dict[str, str]
    request_id: str
    account_id: str
    region: str
    authorizer: dict[str, Any] | None = None
    now: float = 0.0
    context_path: str | None = None  # REST's requestContext.path; default /{stage}{path}
    extended_request_id: str | None = None  # REST; defaults to request_id


@functools.lru_cache(maxsize=4)
def _request_time_of(second: int) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(second))


def _request_time(now: float) -> str:
    return _request_time_of(int(now))  # formatted once per second, not per request


def _domain(request: HttpRequest, ctx: EventContext) -> tuple[str, str]:
    host = request.header("host") or f"{ctx.api.api_id}.execute-api.{ctx.region}.amazonaws.com"
    return host, host.split(".")[0].split(":")[0]


def is_text(content_type: str | None) -> bool:
    if not content_type:
        return True
    media = content_type.split(";")[0].strip().lower()
    return any(media.startswith(t) or media.endswith(t) for t in _TEXT_TYPES)


def media_type_matches(content_type: str | None, patterns: tuple[str, ...]) -> bool:
    """REST binaryMediaTypes matching: exact types and ``type/*`` or ``*/*`` wildcards."""
    if not content_type or not patterns:
        return False
    media = content_type.split(";")[0].strip().lower()
    major = media.split("/")[0]
    for pattern in patterns:
        p = pattern.lower()
        if p in (media, "*/*") or (p.endswith("/*") and p[:-2] == major):
            return True
    return False


def _body_v1(request: HttpRequest, api: ApiSpec) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if api.kind == "REST":
        # REST passes bodies as text unless their Content-Type is a binary media type.
        if media_type_matches(request.header("content-type"), api.binary_media_types):
            return base64.b64encode(request.body).decode(), True
        return request.body.decode("utf-8", "replace"), False
    return _body_v2(request)


def _body_v2(request: HttpRequest) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    if is_text(request.header("content-type")):
        try:
            return request.body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode(), True


def _multi(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


_V1_IDENTITY: dict[str, str | None] = {
    "accessKey": None,
    "accountId": None,
    "caller": None,
    "cognitoAuthenticationProvider": None,
    "cognitoAuthenticationType": None,
    "cognitoIdentityId": None,
    "cognitoIdentityPoolId": None,
    "principalOrgId": None,
    "sourceIp": None,
    "user": None,
    "userAgent": None,
    "userArn": None,
}


def build_v1(request: HttpRequest, ctx: EventContext) -> dict[str, Any]:
    # HTTP APIs lower-case header names in both payload formats; REST keeps them as sent.
    pairs = (
        request.headers if ctx.api.kind == "REST" else [(k.lower(), v) for k, v in request.headers]
    )
    last = dict(pairs)
    if len(last) == len(pairs):  # each name once (the usual case): one value each
        headers = {name: [value] for name, value in pairs}
    else:
        headers = _multi(pairs)
        last = {k: v[-1] for k, v in headers.items()}
    query = _multi(parse_qsl(request.query, keep_blank_values=True)) if request.query else {}
    body, is_b64 = _body_v1(request, ctx.api)
    domain, prefix = _domain(request, ctx)
    stage = ctx.api.stage
    # REST hands over the path as sent; HTTP APIs decoded it before routing.
    path = ctx.path
    context_path = ctx.context_path or (path if stage == "$default" else f"/{stage}{path}")
    identity = _V1_IDENTITY.copy()  # keeps the keys' order; two are filled in
    identity["sourceIp"] = request.source_ip
    identity["userAgent"] = request.header("user-agent")
    api_key = request.header("x-api-key")
    if ctx.api.kind == "REST" and ctx.route.api_key_required and api_key:
        identity["apiKey"] = api_key
    rest = ctx.api.kind == "REST"
    request_context: dict[str, Any] = {"accountId": ctx.account_id, "apiId": ctx.api.api_id}
    if rest:
        request_context["deploymentId"] = deployment_id(ctx.api.api_id)
    request_context |= {
        "domainName": domain,
        "domainPrefix": prefix,
        "extendedRequestId": ctx.extended_request_id or ctx.request_id,
        "httpMethod": request.method,
        "identity": identity,
        "path": context_path,
        "protocol": request.protocol,
        "requestId": ctx.request_id,
        "requestTime": _request_time(ctx.now),
        "requestTimeEpoch": int(ctx.now * 1000),
        "resourceId": _resource_id(ctx) if rest else ctx.route.route_key,
        "resourcePath": ctx.route.path,
        "stage": stage,
    }
    if ctx.authorizer is not None:
        request_context["authorizer"] = ctx.authorizer
    event: dict[str, Any] = {
        "resource": ctx.route.path,
        "path": path,
        "httpMethod": request.method,
        "headers": last or None,
        "multiValueHeaders": headers or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "requestContext": request_context,
        "pathParameters": ctx.path_parameters or None,
        "stageVariables": dict(ctx.api.stage_variables) or None,
        "body": body,
        "isBase64Encoded": is_b64,
    }
    if ctx.api.kind == "HTTP":
        event = {"version": "1.0", **event}
    return event


def _resource_id(ctx: EventContext) -> str:
    return _resource_id_of(ctx.api.api_id, ctx.route.path)


@functools.lru_cache(maxsize=1024)
def _resource_id_of(api_id: str, path: str) -> str:
    # A stable 6-character id per resource path, as API Gateway's resource ids look.
    return hashlib.sha256(f"{api_id}{path}".encode()).hexdigest()[:6]


@functools.lru_cache(maxsize=64)
def deployment_id(api_id: str) -> str:
    """The stage's deployment: one per API locally, 6 characters like AWS's ids."""
    return hashlib.sha256(f"deployment/{api_id}".encode()).hexdigest()[:6]


def build_v2(request: HttpRequest, ctx: EventContext) -> dict[str, Any]:
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(c.strip() for c in value.split(";") if c.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for key, value in parse_qsl(request.query, keep_blank_values=True) if request.query else ():
        query[key] = f"{query[key]},{value}" if key in query else value
    body, is_b64 = _body_v2(request)
    domain, prefix = _domain(request, ctx)
    stage = ctx.api.stage
    raw_path = ctx.path if stage == "$default" else f"/{stage}{ctx.path}"
    route_key = ctx.route.route_key
    request_context: dict[str, Any] = {
        "accountId": ctx.account_id,
        "apiId": ctx.api.api_id,
        "domainName": domain,
        "domainPrefix": prefix,
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": request.header("user-agent") or "",
        },
        "requestId": ctx.request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": _request_time(ctx.now),
        "timeEpoch": int(ctx.now * 1000),
    }
    if ctx.authorizer is not None:
        request_context["authorizer"] = ctx.authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": request.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = request_context
    if body is not None:
        event["body"] = body
    if ctx.path_parameters:
        event["pathParameters"] = ctx.path_parameters
    event["isBase64Encoded"] = is_b64
    if ctx.api.stage_variables:
        event["stageVariables"] = dict(ctx.api.stage_variables)
    return event


# API Gateway's requestId: a UUID (bound, not wrapped: one call less per request).
new_request_id = ids.request_id
