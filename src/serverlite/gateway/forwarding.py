"""The request as API Gateway hands it on: headers dropped, renamed and added.

Before a function (or a REQUEST authorizer) sees a request, API Gateway rewrites its
headers. What is done here, with where it was seen:

- REST APIs drop hop-by-hop and framing headers: ``Connection`` and
  ``Content-Length`` never reach the event (observed: a POST with a JSON body arrives
  with ``Content-Type`` and without either; LocalStack's AWS-validated snapshot of
  test_lambda_aws_proxy_integration). The rest of ``REST_DROPPED`` are RFC 9110's
  hop-by-hop headers and the ones LocalStack's AWS-validated parser drops with them.
- REST APIs rename ``authorization`` in any case to ``Authorization`` (same recording:
  ``authorization`` and ``aUThorization`` both arrive as ``Authorization``), as the
  CloudFront in front of them does; every other name keeps the client's case.
- Both add ``X-Forwarded-For`` (the client's address, after any the client sent),
  ``X-Forwarded-Port``, ``X-Forwarded-Proto`` and ``X-Amzn-Trace-Id``; HTTP APIs in
  lower case, with ``content-length`` kept, and added when the client sent none (the
  Lambda developer guide's HTTP API sample event, sample-apps/nodejs-apig/event-v2.json,
  a browser's GET, has all of them, ``"content-length": "0"`` included).
- Edge-optimized REST APIs (the default endpoint type) sit behind CloudFront, which
  adds ``Via``, ``X-Amz-Cf-Id`` and the ``CloudFront-*`` viewer headers.

Locally the port and scheme are what the client really used (``http`` and the API's
local port), so a function building its own URLs from them reaches this gateway.
"""

from __future__ import annotations

import binascii
import hashlib

from serverlite import ids
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.model import ApiSpec

REST_DROPPED = frozenset(
    (
        "connection",
        "content-length",
        "content-md5",
        "expect",
        "keep-alive",
        "max-forwards",
        "proxy-authenticate",
        "proxy-connection",
        "server",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "www-authenticate",
    )
)
# HTTP APIs pass Content-Length on (the guide's sample event has "content-length": "0").
HTTP_DROPPED = REST_DROPPED - {"content-length"}
# Headers API Gateway sets itself; a client's own values are replaced (X-Forwarded-For
# is extended instead, and a client's trace header keeps its root).
_REPLACED = frozenset(("x-forwarded-port", "x-forwarded-proto", "x-forwarded-for"))
_TRACE = "x-amzn-trace-id"


_DROP, _AUTH, _FOR, _TRACE_SENT = range(4)


class Forwarder:
    """One API's rewriting of requests, its constant part computed once."""

    def __init__(self, api: ApiSpec, port: int | None = None, scheme: str = "http") -> None:
        rest = api.kind == "REST"
        # What to do with a header, by lower-cased name; absent: forward it as sent.
        dropped = (REST_DROPPED if rest else HTTP_DROPPED) | _REPLACED
        self._special: dict[str, int] = dict.fromkeys(dropped, _DROP)
        self._special |= {"x-forwarded-for": _FOR, _TRACE: _TRACE_SENT}
        self.rest = rest
        if rest:
            self._special["authorization"] = _AUTH
        self.edge = rest and api.endpoint_type == "EDGE"
        self._for, port_name, proto_name, self._trace_name = _REST_NAMES if rest else _HTTP_NAMES
        port_text = str(port if port is not None else (443 if scheme == "https" else 80))
        constant = [(port_name, port_text), (proto_name, scheme)]
        if self.edge:
            constant += [
                ("CloudFront-Forwarded-Proto", scheme),
                ("CloudFront-Is-Desktop-Viewer", "true"),
                ("CloudFront-Is-Mobile-Viewer", "false"),
                ("CloudFront-Is-SmartTV-Viewer", "false"),
                ("CloudFront-Is-Tablet-Viewer", "false"),
            ]
            # One edge server per API: Via names it as CloudFront's does.
            self._via_host = hashlib.md5(api.api_id.encode(), usedforsecurity=False).hexdigest()
        self._constant = tuple(constant)
        self._constant_last = {name.lower(): value for name, value in constant}

    def forward(self, request: HttpRequest, now: float) -> tuple[HttpRequest, str, str | None]:
        """The request as the function sees it, its X-Ray trace root (the client's when
        it sent one: the trace goes on; else a new one, ``1-xxxxxxxx-...``), and the
        client's trace header as sent."""
        headers: list[tuple[str, str]] = []
        last: dict[str, str] = {}  # the new request's lookup table, filled on the way
        special = self._special
        client_for = trace = None
        for name, value in request.headers:
            lower = name.lower()
            action = special.get(lower)
            if action is None:
                headers.append((name, value))
                last[lower] = value
            elif action == _AUTH:
                headers.append(("Authorization", value))
                last[lower] = value
            elif action == _FOR:
                client_for = value
            elif action == _TRACE_SENT:
                trace = value
        root = _root_of(trace) if trace else None
        if root is None:
            root = ids.trace_root(now)
        ip = request.source_ip
        forwarded_for = f"{client_for}, {ip}" if client_for else ip
        trace_header = f"Root={root}"
        if not self.rest and "content-length" not in last:
            length = str(len(request.body))
            headers.append(("content-length", length))
            last["content-length"] = length
        headers.append((self._for, forwarded_for))
        headers += self._constant
        headers.append((self._trace_name, trace_header))
        last |= self._constant_last
        last["x-forwarded-for"] = forwarded_for
        last[_TRACE] = trace_header
        if self.edge:
            version = request.protocol.rpartition("/")[2] or "1.1"
            via = f"{version} {self._via_host}.cloudfront.net (CloudFront)"
            cf_id = cloudfront_id()
            headers += (("Via", via), ("X-Amz-Cf-Id", cf_id))
            last["via"] = via
            last["x-amz-cf-id"] = cf_id
        forwarded = HttpRequest(
            method=request.method,
            path=request.path,
            query=request.query,
            headers=headers,
            body=request.body,
            source_ip=ip,
            protocol=request.protocol,
        )
        forwarded._last = last
        return forwarded, root, trace


_URLSAFE = bytes.maketrans(b"+/", b"-_")  # what base64.urlsafe_b64encode does, one call less
_REST_NAMES = ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id")
_HTTP_NAMES = ("x-forwarded-for", "x-forwarded-port", "x-forwarded-proto", "x-amzn-trace-id")


def _root_of(trace_header: str) -> str | None:
    for part in trace_header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Root" and value:
            return value
    return None


def cloudfront_id() -> str:
    """An X-Amz-Cf-Id: 40 random bytes, URL-safe base64 (56 characters, as CloudFront's)."""
    return binascii.b2a_base64(ids.random_bytes(40), newline=False).translate(_URLSAFE).decode()


def extended_request_id() -> str:
    """REST's ``extendedRequestId`` / ``x-amz-apigw-id`` and an HTTP API's request id:
    11 random bytes in base64, 16 characters ending in ``=`` (``EXqgWgXxSK4EJug=``)."""
    return binascii.b2a_base64(ids.random_bytes(11), newline=False).decode()
