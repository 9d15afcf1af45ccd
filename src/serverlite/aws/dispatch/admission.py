"""Who may talk to the AWS endpoint: what an SDK sends, and nothing a web page can.

A browser reaches loopback ports too. A page can send a plain GET or a "simple"
cross-origin POST (form or text/plain body, no custom header) to 127.0.0.1:4566, and
through DNS rebinding it can even read the answers under a host name of its own. None
of that looks like an SDK, which signs every request (SigV4: the Authorization header,
or a presigned query), names the endpoint's own host and sends no ``Origin``. So,
before any service sees a request, the endpoint refuses:

- a ``Host`` that is not a loopback name, the endpoint's own host or one allowed
  (``serverlite up --allow-host``): a rebinding page's host is a name it owns;
- a request carrying ``Origin``: browsers add it to every cross-origin request and
  every POST; SDKs never send it. The one exception is what AWS itself serves to web
  pages: S3's CORS preflights, and requests a bucket's CORS rules allow (``web``);
- an action without a SigV4 signature (AWS's ``MissingAuthenticationToken``, 403) or
  with a malformed one (``IncompleteSignature``), except the unsigned links AWS itself
  serves: SNS's SubscribeURL and UnsubscribeURL (``GET /?Action=ConfirmSubscription``,
  ``GET /?Action=Unsubscribe``).

Signatures are not verified: any credentials are accepted. This is not an auth check;
it only tells an SDK from a browser.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from serverlite.aws.backend import AwsError
from serverlite.aws.dispatch import errors

HEALTH_PATH = (
    "/_serverlite/health"  # serverlite's own: unsigned, but still Host- and Origin-checked
)
UNSIGNED_LINKS = frozenset({"ConfirmSubscription", "Unsubscribe"})  # SNS's own links
SIGV4_PARTS = ("Credential", "SignedHeaders", "Signature")
_CREDENTIAL, _SIGNED_HEADERS, _SIGNATURE = (f"{part}=" for part in SIGV4_PARTS)
PRESIGNED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")
PRESIGNED_V2 = ("AWSAccessKeyId", "Signature", "Expires")  # S3's legacy query signing


@dataclass(frozen=True)
class AllowedHosts:
    """The Host names the endpoint answers to (lowercase, without port)."""

    names: frozenset[str] = frozenset()
    any_address: bool = False  # bound to 0.0.0.0 / ::: any IP literal (rebinding needs a name)

    def allows(self, host: str) -> bool:
        return _allows(self, host)


@functools.lru_cache(maxsize=256)  # every request asks; clients send one or two Hosts
def _allows(hosts: AllowedHosts, host: str) -> bool:
    name = _hostname(host)
    if name == "localhost" or name.endswith(".localhost") or name in hosts.names:
        return True  # browsers resolve *.localhost to loopback themselves (RFC 6761)
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return address.is_loopback or hosts.any_address


def allowed_hosts(bind_host: str, endpoint_url: str, extra: Iterable[str] = ()) -> AllowedHosts:
    """Loopback, the address ``up`` binds, the endpoint URL's host and ``--allow-host``s."""
    names = {_hostname(name) for name in (bind_host, *extra) if name}
    names.add(_hostname(urlsplit(endpoint_url).netloc))
    wildcard = bind_host in ("0.0.0.0", "::", "")
    return AllowedHosts(frozenset(names - {""}), any_address=wildcard)


def _hostname(host: str) -> str:
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:4566
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:  # name:port (a bare IPv6 address has more colons)
        host = host.split(":", 1)[0]
    return host.rstrip(".")


class Admission:
    """ASGI middleware: refuse what no SDK sends, in the AWS error shape of its protocol."""

    def __init__(
        self,
        app: ASGIApp,
        hosts: AllowedHosts,
        web: Callable[[Scope], bool] | None = None,  # a web page's request a service takes
    ) -> None:
        self.app = app
        self.hosts = hosts
        self.web = web
        # Every request asks: the answer per Host alone (clients send one or two), not
        # per (hosts, Host), which hashes ``hosts`` (a dataclass) each time.
        self._allows = functools.lru_cache(maxsize=256)(hosts.allows)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(scope)
            if refusal is not None:
                await errors.error_for(scope, refusal)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, scope: Scope) -> AwsError | None:
        host, origin, authorization = _wanted(scope)
        if host is not None and not self._allows(host):
            return AwsError(
                errors.ACCESS_DENIED,
                f"serverlite's AWS endpoint does not answer to Host {host!r}: use a loopback "
                "address, or allow the name with `serverlite up --allow-host`",
                403,
            )
        if origin is not None and self.web is not None and self.web(scope):
            if scope["method"] == "OPTIONS":
                return None  # a CORS preflight: browsers never sign one
            return _signature_refusal(scope, authorization)
        if origin is not None:
            return AwsError(
                errors.ACCESS_DENIED,
                "serverlite's AWS endpoint refuses requests from web pages (Origin "
                f"{origin!r}); AWS SDKs send no Origin",
                403,
            )
        if scope["path"] == HEALTH_PATH:
            return None
        return _signature_refusal(scope, authorization)


def _wanted(scope: Scope) -> tuple[str | None, str | None, str | None]:
    """Host, Origin and Authorization (the last of each, as a dict of them would hold),
    found in one pass without decoding the other headers: every request asks."""
    host = origin = authorization = None
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
        elif name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"origin":
            origin = value.decode("latin-1")
    return host, origin, authorization


def _signature_refusal(scope: Scope, authorization: str | None) -> AwsError | None:
    if authorization is not None:
        scheme, _, params = authorization.partition(" ")
        if (
            scheme.startswith("AWS4-")
            and _CREDENTIAL in params
            and _SIGNED_HEADERS in params
            and _SIGNATURE in params
        ):
            return None  # what every SDK request has: no list made
        missing = [part for part in SIGV4_PARTS if f"{part}=" not in params]
        # AWS's wording: one sentence per missing part, then the header as received.
        detail = " ".join(
            f"Authorization header requires '{part}' parameter." for part in missing or SIGV4_PARTS
        )
        return AwsError("IncompleteSignature", f"{detail} Authorization={authorization}", 403)
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
    if all(query.get(name) for name in PRESIGNED) or all(query.get(n) for n in PRESIGNED_V2):
        return None
    if scope["method"] == "GET" and scope["path"] == "/" and query.get("Action") in UNSIGNED_LINKS:
        return None
    return AwsError("MissingAuthenticationToken", "Request is missing Authentication Token", 403)
