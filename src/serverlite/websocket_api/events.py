"""The events a WebSocket API sends its functions: CONNECT, MESSAGE, DISCONNECT, and the
REQUEST authorizer's, in the shapes AWS documents ("Setting up WebSocket API
integration requests", the $connect / message / $disconnect samples).

AWS's details kept: the CONNECT event carries the handshake's headers (and
``multiValueHeaders``, and the query string when there is one); MESSAGE events carry the
frame as ``body`` (base64 for a binary frame) and a ``messageId``; DISCONNECT says why
(``disconnectStatusCode``, ``disconnectReason``); every event has ``connectionId``,
``connectedAt``, ``domainName``, ``stage``, ``apiId``, ``requestTimeEpoch`` and the
caller's ``identity``; an authorizer's context is ``requestContext.authorizer``.
"""

from __future__ import annotations

import base64
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from serverlite import ids
from serverlite.websocket_api.model import WebSocketApiSpec


@dataclass
class ConnectionInfo:
    """What every event of one connection repeats."""

    connection_id: str
    api: WebSocketApiSpec
    domain_name: str
    connected_at: float
    source_ip: str
    user_agent: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    query: list[tuple[str, str]] = field(default_factory=list)
    authorizer: dict[str, Any] | None = None


def _request_time(now: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now))


def _context(info: ConnectionInfo, route_key: str, event_type: str, now: float) -> dict[str, Any]:
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": ids.request_id(),
        "requestTime": _request_time(now),
        "messageDirection": "IN",
        "stage": info.api.stage,
        "connectedAt": int(info.connected_at * 1000),
        "requestTimeEpoch": int(now * 1000),
        "identity": {"userAgent": info.user_agent, "sourceIp": info.source_ip},
        "requestId": ids.request_id(),
        "domainName": info.domain_name,
        "connectionId": info.connection_id,
        "apiId": info.api.api_id,
    }
    if info.authorizer is not None:
        context["authorizer"] = info.authorizer
    return context


def _handshake(info: ConnectionInfo) -> dict[str, Any]:
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in info.headers:
        headers[name] = value
        multi.setdefault(name, []).append(value)
    out: dict[str, Any] = {"headers": headers, "multiValueHeaders": multi}
    if info.query:
        query: dict[str, str] = {}
        multi_query: dict[str, list[str]] = {}
        for name, value in info.query:
            query[name] = value
            multi_query.setdefault(name, []).append(value)
        out["queryStringParameters"] = query
        out["multiValueQueryStringParameters"] = multi_query
    return out


def connect_event(info: ConnectionInfo, now: float) -> dict[str, Any]:
    return {
        **_handshake(info),
        "requestContext": _context(info, "$connect", "CONNECT", now),
        "isBase64Encoded": False,
    }


def message_event(
    info: ConnectionInfo, route_key: str, data: str | bytes, now: float
) -> dict[str, Any]:
    context = _context(info, route_key, "MESSAGE", now)
    context["messageId"] = new_id()
    binary = isinstance(data, bytes)
    body = base64.b64encode(data).decode() if isinstance(data, bytes) else data
    return {"requestContext": context, "body": body, "isBase64Encoded": binary}


def disconnect_event(info: ConnectionInfo, code: int, reason: str, now: float) -> dict[str, Any]:
    context = _context(info, "$disconnect", "DISCONNECT", now)
    context["disconnectStatusCode"] = code
    context["disconnectReason"] = reason
    return {**_handshake(info), "requestContext": context, "isBase64Encoded": False}


def authorizer_event(info: ConnectionInfo, method_arn: str, now: float) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": method_arn,
        **_handshake(info),
        "stageVariables": dict(info.api.stage_variables),
        "requestContext": _context(info, "$connect", "CONNECT", now),
    }


def new_id() -> str:
    """A connection or message id as API Gateway makes them: 16 base64 characters
    (``L0SM9cOFvHcCIhw=``)."""
    return base64.b64encode(secrets.token_bytes(11)).decode()
