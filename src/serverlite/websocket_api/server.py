"""Serving a WebSocket API: the connections, the routes, and ``@connections``.

One ASGI app per API, on two ports: plain (``ws://127.0.0.1:<port>/<stage>``) and TLS
(``wss://``/``https://127.0.0.1:<port>``, see ``tls.py``), which is the ``domainName``
the functions see, so ``https://{domainName}/{stage}`` reaches the Management API here.

A connection: the handshake runs the ``$connect`` route (its REQUEST authorizer first);
a refusal or failure there is answered on the handshake (403 denied, 401 no identity,
500 a failing function, the function's own status otherwise). Each message picks its
route by the API's RouteSelectionExpression (``$request.body.action``), else
``$default``; no route is ``{"message": "Forbidden", ...}`` to the client, a function
error ``{"message": "Internal server error", ...}``; a two-way route sends the
function's ``body`` back. When the connection ends, ``$disconnect`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import fnmatch
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from serverlite import ids
from serverlite.errors import InvokeError
from serverlite.invoker import Invoker, InvokeRequest
from serverlite.websocket_api import events
from serverlite.websocket_api.connections import (
    MAX_FRAME_BYTES,
    MAX_MESSAGE_BYTES,
    Close,
    Connection,
    Hub,
)
from serverlite.websocket_api.events import ConnectionInfo
from serverlite.websocket_api.model import WebSocketApiSpec, WsRoute, select_route

log = logging.getLogger("serverlite.websocket")
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
MESSAGE_TOO_BIG = 1009


class FrameLimitedProtocol(WebSocketsSansIOProtocol):
    """uvicorn's WebSocket protocol, closing (1009) on a frame over API Gateway's 32 KB;
    the 128 KB message limit is websockets' ``max_size`` (``ws_max_size``)."""

    def _refused(self, event: Any) -> bool:
        if len(event.data) <= MAX_FRAME_BYTES:
            return False
        self.conn.fail(MESSAGE_TOO_BIG, "Message too big")
        self.handle_parser_exception()
        return True

    def handle_text(self, event: Any) -> None:
        if not self._refused(event):
            super().handle_text(event)

    def handle_bytes(self, event: Any) -> None:
        if not self._refused(event):
            super().handle_bytes(event)

    def handle_cont(self, event: Any) -> None:
        if not self._refused(event):
            super().handle_cont(event)

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.http.response.body" and not message.get("more_body"):
            # A handshake answered with an HTTP response is complete too (uvicorn 0.54
            # logs "returned without completing handshake" otherwise).
            self.handshake_complete = True


def _iso(epoch: float) -> str:
    return (
        datetime.datetime.fromtimestamp(epoch, datetime.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class WebSocketApp:
    def __init__(
        self,
        api: WebSocketApiSpec,
        invoker: Invoker,
        hub: Hub,
        domain_name: str,
    ) -> None:
        self.api = api
        self.invoker = invoker
        self.hub = hub
        self.domain_name = domain_name
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing: dict[str, Close] = {}  # connection id -> why serverlite closed it

    # -- ASGI ----------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "http":
            await self._management(scope, receive, send)

    def _stage_path(self, path: str) -> str | None:
        """The path after the stage (``/prod/x`` -> ``/x``); None for another stage."""
        stage = f"/{self.api.stage}"
        if path == stage or path.startswith(stage + "/"):
            return path[len(stage) :] or "/"
        return path if self.api.stage == "$default" else None

    # -- connections -----------------------------------------------------------------
    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        if self._stage_path(scope["path"]) not in ("/", ""):
            await _refuse(send, 403, {"message": "Forbidden"})
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        lower = {k.lower(): v for k, v in headers}
        client = scope.get("client") or ("127.0.0.1", 0)
        info = ConnectionInfo(
            connection_id=events.new_id(),
            api=self.api,
            domain_name=self.domain_name,
            connected_at=self.hub.clock(),
            source_ip=client[0],
            user_agent=lower.get("user-agent", ""),
            headers=headers,
            query=parse_qsl(scope.get("query_string", b"").decode("latin-1")),
        )
        refusal = await self._connect(info, lower)
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        await send({"type": "websocket.accept"})
        connection = self.hub.add(info)
        writer = asyncio.create_task(self._write(connection, send))
        code, reason = 1005, "Client-side close frame status not set"
        try:
            while True:
                message = await receive()
                if message["type"] == "websocket.disconnect":
                    code = int(message.get("code") or 1005)
                    reason = str(message.get("reason") or "") or (
                        "Client-side close frame status not set" if code == 1005 else ""
                    )
                    break
                self.hub.touch(connection)
                data = message.get("text")
                self._spawn(
                    self._message(connection, data if data is not None else message["bytes"])
                )
        finally:
            connection.closed = True
            self.hub.remove(info.connection_id)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            self._spawn(self._disconnect(info, code, reason))

    async def _write(self, connection: Connection, send: Send) -> None:
        while True:
            item = await connection.outbox.get()
            if isinstance(item, Close):
                await send({"type": "websocket.close", "code": item.code, "reason": item.reason})
                # The client's answer ends the reader; $disconnect gets this code.
                self._closing[connection.info.connection_id] = item
                return
            if isinstance(item, bytes):
                await send({"type": "websocket.send", "bytes": item})
            else:
                await send({"type": "websocket.send", "text": item})

    def _spawn(self, work: Any) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _connect(
        self, info: ConnectionInfo, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]] | None:
        """Run $connect (and its authorizer): None to accept, else (status, body)."""
        route = self.api.routes.get("$connect")
        if route is None:
            return None
        if route.authorizer is not None:
            refusal = await self._authorize(route, info, headers)
            if refusal is not None:
                return refusal
        if route.function is None:
            return None
        result = await self._invoke(route, events.connect_event(info, self.hub.clock()))
        if result is None:
            return 500, {"message": "Internal server error"}
        status = result.get("statusCode", 200) if isinstance(result, dict) else 200
        if not isinstance(status, int) or status >= 300:
            return (status if isinstance(status, int) else 500), {"message": "Forbidden"}
        return None

    async def _authorize(
        self, route: WsRoute, info: ConnectionInfo, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]] | None:
        authorizer = route.authorizer
        assert authorizer is not None
        query = dict(info.query)
        for source in authorizer.identity_sources:
            kind, _, name = source.removeprefix("route.request.").partition(".")
            present = headers.get(name.lower()) if kind == "header" else query.get(name)
            if not present:
                return 401, {"message": "Unauthorized"}
        method_arn = (
            f"arn:aws:execute-api:{self.invoker.app.region}:{self.invoker.app.account_id}:"
            f"{self.api.api_id}/{self.api.stage}/$connect"
        )
        event = events.authorizer_event(info, method_arn, self.hub.clock())
        try:
            result = await self.invoker.invoke(
                InvokeRequest(
                    function=authorizer.function, payload=json.dumps(event).encode(), event=event
                )
            )
            policy = json.loads(result.payload) if not result.function_error else None
        except (InvokeError, ValueError):
            policy = None
        if not isinstance(policy, dict):
            return 500, {"message": None}
        if not _allows(policy, method_arn):
            return 403, {"message": "Forbidden"}
        context = policy.get("context")
        info.authorizer = {
            "principalId": policy.get("principalId"),
            **(context if isinstance(context, dict) else {}),
        }
        return None

    async def _invoke(self, route: WsRoute, event: dict[str, Any]) -> Any:
        """The function's result, or None when it failed."""
        assert route.function is not None
        try:
            result = await self.invoker.invoke(
                InvokeRequest(
                    function=route.function, payload=json.dumps(event).encode(), event=event
                )
            )
        except InvokeError as exc:
            log.warning("%s %s: %s", self.api.qualified_id, route.route_key, exc.message)
            return None
        if result.function_error:
            return None
        try:
            return json.loads(result.payload) if result.payload else {}
        except ValueError:
            return None

    async def _message(self, connection: Connection, data: str | bytes) -> None:
        info = connection.info
        key = None
        if isinstance(data, str):
            with contextlib.suppress(ValueError):
                key = select_route(self.api.route_selection_expression, json.loads(data))
        route = self.api.routes.get(key or "") or self.api.routes.get("$default")
        request_id = ids.request_id()
        if route is None or route.function is None:
            self._reply(connection, "Forbidden", request_id)
            return
        event = events.message_event(info, route.route_key, data, self.hub.clock())
        result = await self._invoke(route, event)
        if result is None:
            self._reply(connection, "Internal server error", request_id)
            return
        if route.two_way and not connection.closed:
            body = result.get("body") if isinstance(result, dict) else json.dumps(result)
            if body is not None:
                connection.outbox.put_nowait(body if isinstance(body, str) else json.dumps(body))

    def _reply(self, connection: Connection, message: str, request_id: str) -> None:
        if not connection.closed:
            body = {
                "message": message,
                "connectionId": connection.info.connection_id,
                "requestId": request_id,
            }
            connection.outbox.put_nowait(json.dumps(body))

    async def _disconnect(self, info: ConnectionInfo, code: int, reason: str) -> None:
        route = self.api.routes.get("$disconnect")
        closing = self._closing.pop(info.connection_id, None)
        if closing is not None:
            code, reason = closing.code, closing.reason
        if route is not None and route.function is not None:
            await self._invoke(route, events.disconnect_event(info, code, reason, self.hub.clock()))

    # -- the Management API (@connections) -------------------------------------------
    async def _management(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = self._stage_path(unquote(scope["path"])) or ""
        if not path.startswith("/@connections/"):
            await _http(send, 403, {"message": "Forbidden"}, "ForbiddenException")
            return
        connection_id = path.removeprefix("/@connections/")
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        connection = self.hub.get(connection_id)
        if connection is None:
            await _http(send, 410, {}, "GoneException")
            return
        method = scope["method"]
        if method == "POST":
            if len(body) > MAX_MESSAGE_BYTES:
                message = f"Message too long. Max allowed size is {MAX_MESSAGE_BYTES} bytes"
                await _http(send, 413, {"message": message}, "PayloadTooLargeException")
                return
            try:
                connection.outbox.put_nowait(body.decode("utf-8"))
            except UnicodeDecodeError:
                connection.outbox.put_nowait(body)
            self.hub.touch(connection)
            await _http(send, 200, None)
        elif method == "GET":
            info = connection.info
            await _http(
                send,
                200,
                {
                    "connectedAt": _iso(info.connected_at),
                    "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
                    "lastActiveAt": _iso(connection.last_active),
                },
            )
        elif method == "DELETE":
            connection.close(1000, "")
            await _http(send, 204, None)
        else:
            await _http(send, 403, {"message": "Forbidden"}, "ForbiddenException")


def _allows(policy: dict[str, Any], method_arn: str) -> bool:
    """An IAM policy allows ``execute-api:Invoke`` on the method: an Allow statement
    matches and no Deny does (wildcards as IAM reads them)."""
    document = policy.get("policyDocument")
    statements = document.get("Statement") if isinstance(document, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    allowed = False
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict):
            continue
        resources = statement.get("Resource")
        resources = resources if isinstance(resources, list) else [resources]
        actions = statement.get("Action")
        actions = actions if isinstance(actions, list) else [actions]
        if not any(
            isinstance(a, str) and fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions
        ):
            continue
        if not any(isinstance(r, str) and fnmatch.fnmatchcase(method_arn, r) for r in resources):
            continue
        if statement.get("Effect") == "Deny":
            return False
        allowed = allowed or statement.get("Effect") == "Allow"
    return allowed


async def _refuse(send: Send, status: int, body: dict[str, Any]) -> None:
    """Answer the handshake with an HTTP response (ASGI's websocket.http.response)."""
    data = json.dumps(body).encode()
    await send(
        {
            "type": "websocket.http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
            ],
        }
    )
    await send({"type": "websocket.http.response.body", "body": data})


async def _http(send: Send, status: int, body: Any, error: str | None = None) -> None:
    data = b"" if body is None else json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    headers.append((b"x-amzn-requestid", ids.request_id().encode()))
    if error is not None:
        headers.append((b"x-amzn-errortype", error.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
