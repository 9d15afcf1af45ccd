"""CORS as a function URL applies its ``Cors`` configuration.

With a configuration, Lambda answers a preflight (OPTIONS with Origin and
Access-Control-Request-Method) itself, without invoking the function, and puts its own
Access-Control-* headers on every response to an allowed origin, replacing the
function's. Without one, OPTIONS reaches the function and its headers go out as set.
"""

from __future__ import annotations

from serverlite.gateway.http import HttpRequest, HttpResponse
from serverlite.gateway.model import CorsSpec


def allowed_origin(spec: CorsSpec, origin: str | None) -> str | None:
    if origin is None:
        return None
    if "*" in spec.allow_origins:
        # With credentials a browser refuses "*": the origin is echoed instead.
        return origin if spec.allow_credentials else "*"
    return origin if origin in spec.allow_origins else None


def preflight(spec: CorsSpec | None, request: HttpRequest) -> HttpResponse | None:
    if spec is None or request.method != "OPTIONS":
        return None
    if request.header("access-control-request-method") is None:
        return None
    headers: list[tuple[str, str]] = []
    origin = allowed_origin(spec, request.header("origin"))
    if origin is not None:
        headers.append(("Access-Control-Allow-Origin", origin))
        if spec.allow_methods:
            headers.append(("Access-Control-Allow-Methods", ",".join(spec.allow_methods)))
        if spec.allow_headers:
            headers.append(("Access-Control-Allow-Headers", ",".join(spec.allow_headers)))
        if spec.max_age is not None:
            headers.append(("Access-Control-Max-Age", str(spec.max_age)))
        if spec.allow_credentials:
            headers.append(("Access-Control-Allow-Credentials", "true"))
    return HttpResponse(200, headers, b"")


def response_headers(
    spec: CorsSpec | None, request: HttpRequest, headers: list[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``headers`` with the configuration's CORS headers in place of the function's."""
    if spec is None:
        return headers
    origin = allowed_origin(spec, request.header("origin"))
    if origin is None:
        return headers
    out = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
    out.append(("Access-Control-Allow-Origin", origin))
    if spec.expose_headers:
        out.append(("Access-Control-Expose-Headers", ",".join(spec.expose_headers)))
    if spec.allow_credentials:
        out.append(("Access-Control-Allow-Credentials", "true"))
    return out
