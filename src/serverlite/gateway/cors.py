"""CORS as each API type does it.

- HTTP APIs with CorsConfiguration answer preflight OPTIONS themselves (even without
  an OPTIONS route) and add Access-Control-* headers to every response whose Origin
  is allowed.
- REST APIs with SAM's ``Cors`` get an OPTIONS method on every path that answers the
  preflight; other responses carry only what the function sets (proxy integration).
"""

from __future__ import annotations

from serverlite.gateway.http import HttpRequest, HttpResponse
from serverlite.gateway.model import ApiSpec, CorsSpec
from serverlite.gateway.routing import Router

ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_origin(spec: CorsSpec, origin: str | None) -> str | None:
    if origin is None:
        return None
    if "*" in spec.allow_origins:
        return "*" if not spec.allow_credentials else origin
    return origin if origin in spec.allow_origins else None


def preflight(api: ApiSpec, router: Router, request: HttpRequest, path: str) -> HttpResponse | None:
    spec = api.cors
    if spec is None or request.method != "OPTIONS":
        return None
    if api.kind == "REST":
        methods = router.methods_for(path)
        if not methods or "OPTIONS" in methods:
            return None  # unknown path, or the template routes OPTIONS itself
        allow = (
            ",".join(spec.allow_methods)
            if spec.allow_methods
            else ",".join(sorted(ALL_METHODS if "ANY" in methods else {*methods, "OPTIONS"}))
        )
        headers = [
            ("Access-Control-Allow-Origin", spec.allow_origins[0]),
            ("Access-Control-Allow-Methods", allow),
        ]
        if spec.allow_headers:
            headers.append(("Access-Control-Allow-Headers", ",".join(spec.allow_headers)))
        if spec.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(spec.max_age)))
        if spec.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
        headers.append(("Content-Type", "application/json"))
        return HttpResponse(200, headers, b"")
    if request.header("access-control-request-method") is None:
        return None
    origin = _allowed_origin(spec, request.header("origin"))
    headers = []
    if origin is not None:
        headers.append(("Access-Control-Allow-Origin", origin))
        wanted = (request.header("access-control-request-method") or "").upper()
        if spec.allow_methods and ("*" in spec.allow_methods or wanted in spec.allow_methods):
            headers.append(("Access-Control-Allow-Methods", ",".join(spec.allow_methods)))
        asked = request.header("access-control-request-headers")
        if spec.allow_headers and asked:
            headers.append(("Access-Control-Allow-Headers", ",".join(spec.allow_headers)))
        if spec.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(spec.max_age)))
        if spec.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
    return HttpResponse(204, headers, b"")


def add_response_headers(api: ApiSpec, request: HttpRequest, response: HttpResponse) -> None:
    spec = api.cors
    if spec is None or api.kind != "HTTP" or request.method == "OPTIONS":
        return
    origin = _allowed_origin(spec, request.header("origin"))
    if origin is None:
        return
    # API Gateway's CORS headers replace the integration's own for HTTP APIs.
    response.headers = [
        (k, v) for k, v in response.headers if not k.lower().startswith("access-control-")
    ]
    response.headers.append(("Access-Control-Allow-Origin", origin))
    if spec.expose_headers:
        response.headers.append(("Access-Control-Expose-Headers", ",".join(spec.expose_headers)))
    if spec.allow_credentials:
        response.headers.append(("Access-Control-Allow-Credentials", "true"))
