"""The gateway's own request and response: plain data, no sockets (the test seam)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Why the HTTP server answers a request itself (the handler never sees it).
Refusal = Literal["bad_request", "uri_too_long", "head_too_large", "body_too_large", "timeout"]


@dataclass(frozen=True)
class RequestLimits:
    """What the HTTP server refuses while reading (defaults: API Gateway's quotas)."""

    max_url: int = 10240  # the request target, in bytes
    max_head: int = 10240  # request line + header values (API Gateway's own measure)
    max_head_bytes: int = 65536  # a head's raw bytes, names and separators included
    max_body: int = 10 * 1024 * 1024


@dataclass
class HttpRequest:
    method: str
    path: str  # as sent, percent-encoded, without the query string
    query: str = ""  # raw query string, without "?"
    headers: list[tuple[str, str]] = field(default_factory=list)  # as sent: case and order kept
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"
    # Lower-cased name -> last value, built on the first lookup (headers are not
    # changed once a request is made).
    _last: dict[str, str] | None = field(default=None, init=False, repr=False, compare=False)

    def header(self, name: str) -> str | None:
        """The last value of a header, case-insensitively."""
        last = self._last
        if last is None:
            last = self._last = {key.lower(): value for key, value in self.headers}
        return last.get(name.lower())


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        """The last value of a header, case-insensitively (a plain loop: this runs a few
        times per request, on a handful of headers)."""
        wanted = name.lower()
        found = None
        for key, value in self.headers:
            if key.lower() == wanted:
                found = value
        return found
