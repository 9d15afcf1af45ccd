"""HTTP GET for JWKS and OpenID discovery documents, to this machine only.

serverlite reaches no network but loopback: an issuer's keys come from a service on
127.0.0.1 / ::1 / localhost (a local identity service, or a test's JWKS server).
Redirects are followed only while they stay on loopback, and proxy settings from
the environment are ignored (a proxy would take the request off the machine).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

HttpGet = Callable[[str], Awaitable[bytes]]

TIMEOUT_S = 5.0
MAX_BYTES = 1024 * 1024


class NotLoopback(ValueError):
    """A URL that would leave this machine."""


def is_loopback_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@functools.cache
def _opener() -> Any:
    """urllib's opener with no proxies, following redirects on loopback only; made on
    first use (urllib.request brings http.client and email: ~8 ms of every start)."""
    import urllib.request

    class LoopbackRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(
            self,
            req: urllib.request.Request,
            fp: Any,
            code: int,
            msg: str,
            headers: Any,
            newurl: str,
        ) -> urllib.request.Request | None:
            if not is_loopback_url(newurl):
                raise NotLoopback(f"redirect off this machine refused: {newurl}")
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(urllib.request.ProxyHandler({}), LoopbackRedirects())


def _get(url: str) -> bytes:
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with _opener().open(request, timeout=TIMEOUT_S) as response:
        body: bytes = response.read(MAX_BYTES + 1)
    if len(body) > MAX_BYTES:
        raise ValueError(f"{url}: document larger than {MAX_BYTES} bytes")
    return body


async def loopback_get(url: str) -> bytes:
    """GET ``url`` (loopback only) off the event loop; raises on any failure."""
    if not is_loopback_url(url):
        raise NotLoopback(f"only loopback URLs are fetched: {url}")
    return await asyncio.to_thread(_get, url)
