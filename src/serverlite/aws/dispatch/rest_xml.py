"""The rest-xml dispatcher: S3, addressed path-style or virtual-hosted-style.

A request is S3's when its SigV4 credential scope names ``s3`` (the Authorization
header or a presigned URL's ``X-Amz-Credential``), when its Host names a bucket under
a loopback name (``bucket.localhost``, ``bucket.s3.localhost``,
``bucket.s3.us-east-1.localhost``: RFC 6761 makes every ``*.localhost`` loopback), or
when it is a CORS preflight (``OPTIONS``: no other service has one). Path-style puts
the bucket in the path's first segment (``/bucket/key``), as botocore does for an
endpoint URL with an IP address.

The service's ``route`` names the operation from the method, bucket, key and query
(``?uploads``, ``?versioning``, ...). The body is handed over unread
(``aws_chunked.StreamedBody``): objects are streamed to disk within S3's 5 GiB, XML
documents read whole within a small limit. Errors are S3's document:
``<Error><Code/><Message/>...<RequestId/></Error>`` with the status, and no body
for HEAD (S3 sends none; botocore reads the status).
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from serverlite.aws.backend import AwsError, RestResponse, RestXmlService
from serverlite.aws.dispatch import calls, presign
from serverlite.aws.dispatch.aws_chunked import StreamedBody
from serverlite.aws.dispatch.iam_check import IamCheck
from serverlite.ids import hex_token
from serverlite.ids import request_id as new_request_id
from serverlite.observe.publishing import Publisher
from serverlite.observe.service_metrics import PUBLISHER
from serverlite.xml_text import escape

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+?)(?:\.s3(?:\.[a-z0-9-]+)?)?\.localhost$")
XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def signing_name(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            match = _SCOPE.search(value.decode("latin-1"))
            return match.group(1) if match else None
    query = scope.get("query_string", b"")
    if b"AWSAccessKeyId=" in query and b"Signature=" in query:
        return "s3"  # SigV2 query signing: only S3 still takes it (boto3's presigned URLs)
    if b"X-Amz-Credential=" in query:
        credential = dict(parse_qsl(query.decode("latin-1"))).get("X-Amz-Credential", "")
        parts = credential.split("/")
        return parts[3] if len(parts) >= 5 else None
    return None


def virtual_bucket(scope: Scope) -> str | None:
    """The bucket a virtual-hosted-style Host names (``photos.localhost:4566``)."""
    for name, value in scope["headers"]:
        if name == b"host":
            return _bucket_of_host(value)
    return None


@functools.lru_cache(maxsize=256)  # every request asks; clients send one or two Hosts
def _bucket_of_host(value: bytes) -> str | None:
    host = value.decode("latin-1").strip().lower().rsplit(":", 1)[0].rstrip(".")
    match = _VIRTUAL_HOST.match(host)
    if match and match.group("bucket") not in ("s3", ""):
        return match.group("bucket")
    return None


def is_s3(scope: Scope) -> bool:
    if scope["type"] != "http":
        return False
    if scope["method"] == "OPTIONS":
        return True
    # Every request asks: one pass over the headers (the first of each, as the readers
    # above take it), and the credential scope's regex only on a header that can match.
    authorization = host = None
    for name, value in scope["headers"]:
        if name == b"authorization":
            if authorization is None:
                authorization = value
        elif name == b"host" and host is None:
            host = value
    if authorization is not None:
        if b"/s3/aws4_request" in authorization and signing_name(scope) == "s3":
            return True
    elif scope.get("query_string") and signing_name(scope) == "s3":  # a presigned URL
        return True
    return host is not None and _bucket_of_host(host) is not None


def address(scope: Scope) -> tuple[str, str | None]:
    """(bucket, key): "" for no bucket (ListBuckets), None for no key."""
    raw = scope.get("raw_path") or scope["path"].encode()
    path = unquote(raw.decode("latin-1").split("?", 1)[0], encoding="utf-8", errors="replace")
    bucket = virtual_bucket(scope)
    if bucket is not None:
        key = path[1:] if path.startswith("/") else path
        return bucket, key or None
    rest = path[1:] if path.startswith("/") else path
    bucket, slash, key = rest.partition("/")
    return bucket, (key if slash and key else None)


class RestXmlRouter:
    """ASGI middleware: S3's requests to its dispatcher, the rest on to the other faces."""

    def __init__(
        self,
        app: ASGIApp,
        service: RestXmlService | None,
        iam: IamCheck | None = None,
        publisher: Publisher | None = None,
    ) -> None:
        self.app = app
        self.service = service
        self.iam = iam
        self.publisher = publisher  # S3's billed requests (observe/service_metrics.py)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.service is not None and is_s3(scope):
            token = PUBLISHER.set(self.publisher) if self.publisher is not None else None
            try:
                response = await dispatch(Request(scope, receive), self.service, self.iam)
            finally:
                if token is not None:
                    PUBLISHER.reset(token)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def dispatch(
    request: Request, service: RestXmlService, iam: IamCheck | None = None
) -> Response:
    request_id = new_request_id()
    scope = request.scope
    bucket, key = address(scope)
    query = dict(parse_qsl(scope.get("query_string", b"").decode("utf-8"), keep_blank_values=True))
    headers: Mapping[str, str] = request.headers
    method = request.method
    body: StreamedBody | None = None
    try:
        if method == "OPTIONS":
            if service.preflight is None:
                raise AwsError("MethodNotAllowed", "OPTIONS is not supported", 405)
            result: Any = service.preflight(bucket, key, headers)
        else:
            presign.check_expiry(query, service.clock)
            name = service.route(method, bucket, key, query, headers)
            body = StreamedBody(
                request.stream(), headers, service.max_request_bytes, service.max_document_bytes
            )
            parts = {
                "bucket": bucket,
                "key": key,
                "query": query,
                "headers": headers,
                "body": body,
                "method": method,
                "request_id": request_id,
            }
            if iam is not None:
                iam.check(scope, service.operations, name, parts, "rest-xml")
            result = await calls.call(
                service.operations, name, parts, request_id, malformed="MalformedXML"
            )
    except AwsError as exc:
        failure = error(exc, request_id, head=method == "HEAD", resource=_resource(bucket, key))
        failure.headers.update(_cors(service, bucket, method, headers))
        _close_if_unread(failure, body, headers)
        return failure
    response = _response(result, request_id)
    if method != "OPTIONS":
        response.headers.update(_cors(service, bucket, method, headers))
    _close_if_unread(response, body, headers)
    return response


def _close_if_unread(
    response: Response, body: StreamedBody | None, headers: Mapping[str, str]
) -> None:
    """An answer given before the body was read (a 412, a NoSuchBucket) ends the
    connection. An SDK that sent ``Expect: 100-continue`` never sends the body then, and
    one that did not would have its next request read as the rest of this body."""
    sent = headers.get("content-length", "0") != "0" or "transfer-encoding" in headers
    if sent and (body is None or not body.complete):
        response.headers["Connection"] = "close"


def _cors(
    service: RestXmlService, bucket: str, method: str, headers: Mapping[str, str]
) -> Mapping[str, str]:
    if "origin" not in headers or service.cors is None or not bucket:
        return {}
    return service.cors(bucket, method, headers)


def web_request_allowed(service: RestXmlService | None) -> Callable[[Scope], bool]:
    """For admission: is this request from a web page (``Origin``) one S3 would take? A
    preflight always is (it is answered from the bucket's rules and changes nothing);
    another request is when its bucket's CORS rules allow its origin and method."""

    def allowed(scope: Scope) -> bool:
        if service is None or not is_s3(scope):
            return False
        if scope["method"] == "OPTIONS":
            return True
        bucket, _ = address(scope)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        return bool(bucket) and bool(_cors(service, bucket, scope["method"], headers))

    return allowed


def _resource(bucket: str, key: str | None) -> str:
    return f"/{bucket}/{key}" if key is not None else f"/{bucket}" if bucket else "/"


class _Streamed(Response):
    """A body sent as it is read (an object's bytes). Starlette's StreamingResponse
    watches for a disconnect on a task group of its own, which costs more than a small
    object's whole answer; a client that goes away fails the next send instead."""

    def __init__(self, stream: AsyncIterable[bytes], status: int, headers: Mapping[str, str]):
        super().__init__(status_code=status, headers=headers)
        self.stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        async for chunk in self.stream:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _response(result: RestResponse, request_id: str) -> Response:
    headers = {**_ids(request_id), **result.headers}
    if result.stream is not None:
        return _Streamed(result.stream, result.status, headers)
    return Response(
        result.body, status_code=result.status, headers=headers, media_type=result.media_type
    )


def _ids(request_id: str) -> dict[str, str]:
    return {"x-amz-request-id": request_id, "x-amz-id-2": hex_token(32)}


def error(
    exc: AwsError, request_id: str, *, head: bool = False, resource: str | None = None
) -> Response:
    """S3's error document; fields (Key, BucketName, ...) go in as elements."""
    fields = "".join(f"<{name}>{escape(str(value))}</{name}>" for name, value in exc.fields.items())
    if resource is not None and exc.code in ("NoSuchKey", "NoSuchBucket", "AccessDenied"):
        fields += f"<Resource>{escape(resource)}</Resource>"
    body = (
        f"{XML_HEADER}<Error><Code>{escape(exc.code)}</Code>"
        f"<Message>{escape(exc.message)}</Message>{fields}"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    headers = {**_ids(request_id), **exc.headers}
    if head:
        return Response(b"", status_code=exc.status, headers=headers)
    return Response(
        body.encode(), status_code=exc.status, media_type="application/xml", headers=headers
    )
