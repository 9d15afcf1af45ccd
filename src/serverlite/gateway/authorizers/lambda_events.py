"""The events a Lambda authorizer receives, shaped as AWS sends them.

- REST TOKEN: ``{"type": "TOKEN", "authorizationToken": ..., "methodArn": ...}``.
- REST REQUEST: the request as a payload-1.0 proxy event, without body, with
  ``type`` and ``methodArn`` in front (no identitySource: REST does not send it).
- HTTP API, payload 1.0: the same, plus ``version``, ``identitySource`` (the values
  comma-joined) and ``authorizationToken`` (the same string), as
  shared/aws-events/apiGatewayAuthorizerRequestEvent.json shows.
- HTTP API, payload 2.0: the request as a payload-2.0 event without body, with
  ``type``, ``routeArn`` and ``identitySource`` (a list) after ``version``
  (shared/aws-events/apiGatewayAuthorizerV2Event.json).
"""

from __future__ import annotations

from typing import Any

from serverlite.gateway.auth import AuthRequest
from serverlite.gateway.payloads import EventContext, build_v1, build_v2

_BODY = ("body", "isBase64Encoded")


def event_context(request: AuthRequest, now: float) -> EventContext:
    # The method ARN carries the region and account the gateway runs as.
    parts = request.method_arn.split(":", 5)
    region, account = (parts[3], parts[4]) if len(parts) == 6 else ("us-east-1", "")
    return EventContext(
        api=request.api,
        route=request.route,
        path=request.path,
        path_parameters=request.path_parameters,
        request_id=request.request_id,
        account_id=account,
        region=region,
        now=now,
    )


def request_event(request: AuthRequest, now: float, version: str) -> dict[str, Any]:
    """The request as the function would get it (v1 or v2), without authorizer data."""
    ctx = event_context(request, now)
    return build_v1(request.request, ctx) if version == "1.0" else build_v2(request.request, ctx)


def token_event(token: str, method_arn: str) -> dict[str, Any]:
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}


def rest_request_event(proxy_event: dict[str, Any], method_arn: str) -> dict[str, Any]:
    rest = {k: v for k, v in proxy_event.items() if k not in _BODY}
    return {"type": "REQUEST", "methodArn": method_arn, **rest}


def http_v1_event(
    proxy_event: dict[str, Any], method_arn: str, identity: list[str]
) -> dict[str, Any]:
    rest = {k: v for k, v in proxy_event.items() if k not in (*_BODY, "version")}
    joined = ",".join(identity) if identity else None
    return {
        "version": "1.0",
        "type": "REQUEST",
        "methodArn": method_arn,
        "identitySource": joined,
        "authorizationToken": joined,
        **rest,
    }


def http_v2_event(
    proxy_event: dict[str, Any], route_arn: str, identity: list[str]
) -> dict[str, Any]:
    rest = {k: v for k, v in proxy_event.items() if k not in (*_BODY, "version")}
    return {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn,
        "identitySource": identity or None,
        **rest,
    }
