"""Serving function URLs: one port per URL (or the URL's host name on any of them).

Each URL is served by uvicorn on a socket of its own (``http://127.0.0.1:<port>/``); a
request whose Host is ``<url-id>.lambda-url.<anything>`` goes to that URL whichever
port it reached, so ``curl -H 'Host: <id>.lambda-url.localhost'`` works too. A URL made
through the Lambda API while serverlite runs gets a port from the operating system.

A request becomes the payload 2.0 event (``events.py``), after CORS preflight
(``cors.py``) and, for AuthType AWS_IAM, the signature check (``auth.py``). BUFFERED
answers with the function's result read as HTTP API's 2.0 response format;
RESPONSE_STREAM sends the function's chunks as they come (chunked transfer encoding).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
from collections.abc import Callable, Mapping
from typing import Any

import uvicorn

from serverlite import ids
from serverlite.connections import bind
from serverlite.errors import InvokeError
from serverlite.function_urls import auth, cors
from serverlite.function_urls.configs import FunctionUrls
from serverlite.function_urls.events import build_event
from serverlite.function_urls.model import UrlConfig
from serverlite.gateway.http import HttpRequest, HttpResponse
from serverlite.gateway.responses import MalformedResponse, from_v2
from serverlite.invoker import Invoker, InvokeRequest

log = logging.getLogger("serverlite.function_urls")
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]
MAX_REQUEST_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
_FORBIDDEN = HttpResponse(403, [("Content-Type", "application/json")], b'{"Message":"Forbidden"}')


class _TooLarge(Exception):
    pass


class UrlApp:
    """The ASGI app behind one URL's port."""

    def __init__(
        self,
        urls: FunctionUrls,
        url_id: str,
        invoker: Invoker,
        clock: Callable[[], float],
    ) -> None:
        self.urls = urls
        self.url_id = url_id
        self.invoker = invoker
        self.clock = clock
        self.keys = auth.known_keys([fn.arn for fn in invoker.app.functions])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        try:
            body = await _read_body(receive)
        except _TooLarge:
            message = f"Request must be smaller than {MAX_REQUEST_BYTES} bytes"
            await _send(send, _json(413, {"Message": message}))
            return
        client = scope.get("client") or ("127.0.0.1", 0)
        request = HttpRequest(
            method=scope["method"],
            path=scope.get("raw_path", scope["path"].encode()).decode("latin-1").split("?")[0],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            source_ip=client[0],
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        )
        config = self._config(request)
        if config is None:
            await _send(send, _json(404, {"Message": None}))
            return
        await self.serve(config, request, send)

    def _config(self, request: HttpRequest) -> UrlConfig | None:
        host = (request.header("host") or "").split(":")[0]
        label, _, rest = host.partition(".")
        if rest.startswith("lambda-url."):
            return self.urls.by_id(label)
        return self.urls.by_id(self.url_id)

    async def serve(self, config: UrlConfig, request: HttpRequest, send: Send) -> None:
        preflight = cors.preflight(config.cors, request)
        if preflight is not None:
            await _send(send, preflight)
            return
        now = self.clock()
        iam = None
        if config.auth_type == "AWS_IAM":
            caller = auth.check(request, config.region, config.domain_name, now, self.keys)
            if caller is None:
                await _send(send, _FORBIDDEN)
                return
            iam = auth.iam_context(caller, self.invoker.app.account_id)
        request_id = ids.request_id()
        event = build_event(request, config, request_id, now, self.invoker.app.account_id, iam)
        invoke = InvokeRequest(
            function=config.function,
            qualifier=config.qualifier,
            payload=json.dumps(event).encode(),
            event=event,
            request_id=request_id,
        )
        if config.invoke_mode == "RESPONSE_STREAM":
            await self._stream(config, request, invoke, send)
            return
        response = await self._buffered(invoke)
        response.headers = cors.response_headers(config.cors, request, response.headers)
        response.headers.append(("x-amzn-RequestId", request_id))
        await _send(send, response)

    async def _buffered(self, invoke: InvokeRequest) -> HttpResponse:
        try:
            result = await self.invoker.invoke(invoke)
        except InvokeError as exc:
            return _json(exc.status, {"Message": exc.message})
        if result.function_error:
            return _internal_error()
        try:
            return from_v2(result.payload)
        except (MalformedResponse, ValueError):
            return _internal_error()

    async def _stream(
        self, config: UrlConfig, request: HttpRequest, invoke: InvokeRequest, send: Send
    ) -> None:
        """Send the prelude and each chunk as the function yields them."""
        queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        invoke.on_stream = lambda kind, body: queue.put_nowait((kind, body))
        task = asyncio.create_task(self.invoker.invoke(invoke))
        started = False

        async def start(status: int, headers: list[tuple[str, str]]) -> None:
            nonlocal started
            started = True
            headers = cors.response_headers(config.cors, request, headers)
            headers.append(("x-amzn-RequestId", invoke.request_id or ""))
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                }
            )

        while not (task.done() and queue.empty()):
            if task.done():  # every chunk is queued before the invocation's result
                kind, body = queue.get_nowait()
            else:
                getter = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                if getter not in done:
                    getter.cancel()
                    continue
                kind, body = getter.result()
            if kind == "prelude" and not started:
                await start(*_prelude(body))
                continue
            if not started:
                await start(200, [("Content-Type", "application/octet-stream")])
            if body:
                await send({"type": "http.response.body", "body": body, "more_body": True})
        if started:
            with contextlib.suppress(InvokeError):
                task.result()  # an error once the response has begun ends it there
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        # Nothing streamed (the handler returned a value, or failed first): buffered.
        try:
            result = task.result()
        except InvokeError as exc:
            await _send(send, _json(exc.status, {"Message": exc.message}))
            return
        if result.function_error:
            response = _internal_error()
        else:
            try:
                response = from_v2(result.payload)
            except (MalformedResponse, ValueError):
                response = _internal_error()
        response.headers = cors.response_headers(config.cors, request, response.headers)
        await _send(send, response)


def _prelude(body: bytes) -> tuple[int, list[tuple[str, str]]]:
    """The prelude's status and headers (cookies as Set-Cookie), as Lambda reads
    ``HttpResponseStream.from(stream, {statusCode, headers, cookies})``."""
    try:
        meta = json.loads(body)
        status = int(meta.get("statusCode", 200))
    except (ValueError, TypeError, AttributeError):
        return 200, [("Content-Type", "application/octet-stream")]
    headers = [(str(k), str(v)) for k, v in (meta.get("headers") or {}).items()]
    headers += [("Set-Cookie", str(c)) for c in meta.get("cookies") or []]
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.append(("Content-Type", "application/octet-stream"))
    return status, headers


def _internal_error() -> HttpResponse:
    # A function error, or a result Lambda cannot read as a response: 502.
    return HttpResponse(
        502, [("Content-Type", "text/plain; charset=utf-8")], b"Internal Server Error"
    )


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], json.dumps(body).encode())


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _send(send: Send, response: HttpResponse) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


class UrlServers:
    """A uvicorn server per function URL; the URLs the API adds or removes follow."""

    def __init__(
        self,
        urls: FunctionUrls,
        invoker: Invoker,
        host: str,
        clock: Callable[[], float],
        sockets: Mapping[str, list[socket.socket]] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.urls = urls
        self.invoker = invoker
        self.host = host
        self.clock = clock
        self._sockets = dict(sockets or {})
        self._ports: dict[str, int] = {}
        self._servers: dict[str, tuple[uvicorn.Server, asyncio.Task[None]]] = {}
        self.on_change = on_change
        urls.listen(self._changed)

    def local_url(self, url_id: str) -> str | None:
        """Where a URL is served (None: it is not)."""
        port = self._ports.get(url_id)
        if port is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}/"

    async def start(self) -> None:
        for config in self.urls.all():
            self._serve(config)
        await asyncio.gather(
            *(self._started(server, task) for server, task in self._servers.values())
        )

    @staticmethod
    async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
        while not server.started and not task.done():
            await asyncio.sleep(0.01)

    def _serve(self, config: UrlConfig) -> None:
        """Bind now (the port is known at once), serve from the next turn of the loop."""
        if config.url_id in self._servers:
            return
        sockets = self._sockets.pop(config.url_id, None) or bind(self.host, 0)
        self._ports[config.url_id] = int(sockets[0].getsockname()[1])
        server = uvicorn.Server(
            uvicorn.Config(
                UrlApp(self.urls, config.url_id, self.invoker, self.clock),
                log_level="warning",
                lifespan="off",
                access_log=False,
                server_header=False,
                timeout_graceful_shutdown=5,
            )
        )
        task = asyncio.get_running_loop().create_task(server.serve(sockets=sockets))
        self._servers[config.url_id] = (server, task)

    def _changed(self, config: UrlConfig, removed: bool) -> None:
        if removed:
            found = self._servers.pop(config.url_id, None)
            self._ports.pop(config.url_id, None)
            if found is not None:
                found[0].should_exit = True
        else:
            self._serve(config)
        if self.on_change is not None:
            self.on_change()

    async def stop(self) -> None:
        for server, _ in self._servers.values():
            server.should_exit = True
        await asyncio.gather(*(task for _, task in self._servers.values()))
        self._servers.clear()
