"""Who may use the console: the endpoint's Host rule, same-origin pages, and a
per-process token on every action.

The endpoint refuses any request with an ``Origin`` (no SDK sends one), but the
console's own pages are browser pages: a POST from them carries the console's origin.
So the console answers:

- only loopback Hosts (or those ``--allow-host`` allows), as the endpoint does: a DNS
  rebinding page's Host is a name it owns;
- a request with an ``Origin`` or ``Sec-Fetch-Site`` only when it is same-origin;
- a POST only with the process's token both in the ``SameSite=Strict`` cookie (set on
  any page the console serves) and in the ``X-Console-Token`` header (htmx sends it
  from the page's ``hx-headers``) or the ``_token`` form field. A cross-site page can
  neither read the token nor make the browser send the cookie.

No CORS headers are ever sent, and pages may not be framed.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from serverlite.aws.dispatch.admission import AllowedHosts

COOKIE = "serverlite_console"
HEADER = "x-console-token"
FIELD = "_token"
SECURITY_HEADERS = {
    # htmx is loaded from the console itself; no inline script is needed or allowed.
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


class Guard:
    def __init__(self, hosts: AllowedHosts, token: str | None = None) -> None:
        self.hosts = hosts
        self.token = token or secrets.token_urlsafe(32)

    def refusal(self, request: Request) -> Response | None:
        """Why a request is refused (a 403), or None."""
        host = request.headers.get("host", "")
        if not self.hosts.allows(host):
            return _forbidden(f"the console does not answer to Host {host!r}")
        origin = request.headers.get("origin")
        if origin is not None and origin != "null" and urlsplit(origin).netloc != host:
            return _forbidden(f"cross-origin request from {origin!r}")
        if origin == "null":
            return _forbidden("request from an opaque origin")
        site = request.headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return _forbidden(f"{site} request")
        return None

    async def action_refusal(self, request: Request) -> Response | None:
        """A POST's check: the cookie and the header (or form field) both hold the token."""
        cookie = request.cookies.get(COOKIE, "")
        given = request.headers.get(HEADER)
        if given is None:
            given = (await form(request)).get(FIELD, "")
        if not (self.matches(cookie) and self.matches(given)):
            return _forbidden("missing or wrong console token: reload the page")
        return None

    def matches(self, value: str) -> bool:
        return hmac.compare_digest(value.encode(), self.token.encode())

    def finish(self, response: Response) -> Response:
        """Every answer: the token cookie and the security headers."""
        response.set_cookie(COOKIE, self.token, path="/_console", httponly=True, samesite="strict")
        response.headers.update(SECURITY_HEADERS)
        return response


async def form(request: Request) -> dict[str, str]:
    """A POST's url-encoded form (htmx's and the browser's default encoding), read once.
    Parsed here: Starlette's form parser needs python-multipart, a dependency for nothing
    the console sends."""
    found = getattr(request.state, "console_form", None)
    if found is None:
        found = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        request.state.console_form = found
    return dict(found)


def _forbidden(reason: str) -> Response:
    response = PlainTextResponse(f"serverlite console: {reason}\n", status_code=403)
    response.headers.update(SECURITY_HEADERS)
    return response
