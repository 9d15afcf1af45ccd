"""dispatch.admission without sockets: which hosts, origins and signatures pass."""

from __future__ import annotations

from typing import Any

from serverlite.aws.dispatch.admission import Admission, AllowedHosts, allowed_hosts
from tests.integration.conftest import sigv4


def scope(method: str = "POST", path: str = "/", query: str = "", **headers: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }


async def _app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never called
    raise AssertionError


GUARD = Admission(_app, allowed_hosts("127.0.0.1", "http://127.0.0.1:4566", ["dev.internal"]))


def code(s: dict[str, Any]) -> str | None:
    refusal = GUARD.refusal(s)
    return None if refusal is None else refusal.code


def test_loopback_names_and_allowed_hosts() -> None:
    hosts = allowed_hosts("127.0.0.1", "http://127.0.0.1:4566", ["Dev.Internal"])
    for host in (
        "localhost",
        "localhost:4566",
        "api.localhost",
        "127.0.0.1:4566",
        "127.8.9.1",
        "[::1]:4566",
        "::1",
        "dev.internal:4566",
        "LOCALHOST.",
    ):
        assert hosts.allows(host), host
    for host in (
        "attacker.example",
        "attacker.example:4566",
        "10.0.0.5",
        "localhost.attacker.example",
        "[fe80::1]:4566",
    ):
        assert not hosts.allows(host), host


def test_a_wildcard_bind_allows_address_literals_but_not_names() -> None:
    hosts = allowed_hosts("0.0.0.0", "http://0.0.0.0:4566")
    assert hosts.allows("10.0.0.5:4566") and hosts.allows("0.0.0.0:4566")
    assert not hosts.allows("rebind.attacker.example:4566")
    assert not AllowedHosts().allows("10.0.0.5")


def test_signatures_origins_and_unsigned_links() -> None:
    signed = {"Authorization": sigv4("sqs")}
    assert code(scope(**signed)) is None
    assert code(scope()) == "MissingAuthenticationToken"
    assert code(scope(Authorization="AWS4-HMAC-SHA256 Credential=x/y")) == "IncompleteSignature"
    assert code(scope(Origin="null", **signed)) == "AccessDenied"
    assert code(scope(Host="evil.example", **signed)) == "AccessDenied"
    assert code(scope("GET", query="Action=Unsubscribe&SubscriptionArn=arn:aws:sns:x")) is None
    assert code(scope("GET", query="Action=ConfirmSubscription&Token=t")) is None
    assert (
        code(scope("GET", query="Action=Publish&TopicArn=arn:aws:sns:x"))
        == "MissingAuthenticationToken"
    )
    assert code(scope("POST", query="Action=Unsubscribe")) == "MissingAuthenticationToken"
    assert code(scope("GET", "/_serverlite/health")) is None
