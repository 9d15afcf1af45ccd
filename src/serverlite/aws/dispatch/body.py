"""A request body, read within the service's limit, and strict JSON.

The limit is enforced while reading: a declared ``Content-Length`` over it is refused
before a byte is read, and a chunked body as soon as it passes it, so a 100 MB body
costs nothing to refuse. (uvicorn discards the unread rest once the answer is sent,
keeping the connection usable.)

JSON is read by orjson, which refuses what AWS's parsers refuse and ``json`` lets
through or dies on: invalid UTF-8, lone surrogates (``"\\ud800"``: not text, and not
storable as UTF-8), ``NaN``/``Infinity``, and nesting past 1,024 levels (``json``
raises RecursionError at about 1,000; AWS's parsers stop at about the same depth).
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from serverlite.aws.backend import AwsError

MiB = 1024 * 1024


def too_large(limit: int, operation: str, code: str) -> AwsError:
    # Lambda's wording, which AWS's other JSON services share for the framework error.
    return AwsError(
        code,
        f"Request must be smaller than {limit} bytes for the {operation} operation",
        413,
    )


async def read(
    request: Request, limit: int, operation: str, code: str = "RequestEntityTooLarge"
) -> bytes:
    if hasattr(request, "_body") or getattr(request, "_stream_consumed", False):
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise too_large(limit, operation, code)
        return await _read_stream(request, limit, operation, code)  # read before
    raw = await receive(
        request.receive, request.headers.get("content-length"), limit, operation, code
    )
    request._stream_consumed = True  # as stream() leaves it: a second read raises, not hangs
    return raw


async def receive(
    receive: Receive,
    declared: str | None,  # the Content-Length header
    limit: int,
    operation: str,
    code: str = "RequestEntityTooLarge",
) -> bytes:
    """The body from the ASGI messages themselves (every request of every service comes
    through here: no async generator around them, as ``Request.stream()`` has)."""
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large(limit, operation, code)
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        more = message.get("more_body", False)
        chunk: bytes = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise too_large(limit, operation, code)
            chunks.append(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _read_stream(request: Request, limit: int, operation: str, code: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # Starlette's replay (or its "Stream consumed")
        size += len(chunk)
        if size > limit:
            raise too_large(limit, operation, code)
        chunks.append(chunk)
    return b"".join(chunks)


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object ({} when empty), or AWS's SerializationException."""
    if not raw:
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise AwsError(
            "SerializationException", f"The request body is not valid JSON: {exc}"
        ) from exc
    if not isinstance(body, dict):
        raise AwsError(
            "SerializationException",
            f"Start of {'list' if isinstance(body, list) else 'value'} found where a structure "
            "was expected.",
        )
    return body
