"""The console's request rules: loopback Hosts, same-origin only, the token on actions."""

from __future__ import annotations

import asyncio

from starlette.requests import Request

from serverlite.aws.dispatch.admission import AllowedHosts
from serverlite.console.guard import COOKIE, Guard


def _request(method: str = "GET", body: bytes = b"", **headers: str) -> Request:
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    raw = [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()]
    return Request(
        {
            "type": "http",
            "method": method,
            "path": "/_console/",
            "headers": raw,
            "query_string": b"",
        },
        receive,
    )


GUARD = Guard(AllowedHosts(), token="secret-token")


def test_loopback_same_origin_pages_are_answered() -> None:
    assert GUARD.refusal(_request(host="127.0.0.1:4566")) is None
    assert GUARD.refusal(_request(host="localhost:4566", sec_fetch_site="none")) is None
    assert (
        GUARD.refusal(
            _request(
                host="127.0.0.1:4566", origin="http://127.0.0.1:4566", sec_fetch_site="same-origin"
            )
        )
        is None
    )


def test_rebinding_hosts_and_other_origins_are_refused() -> None:
    for headers in (
        {"host": "attacker.example:4566"},
        {"host": "127.0.0.1:4566", "origin": "http://evil.example"},
        {"host": "127.0.0.1:4566", "origin": "null"},
        {"host": "127.0.0.1:4566", "origin": "http://127.0.0.1:3000"},  # another local port
        {"host": "127.0.0.1:4566", "sec_fetch_site": "cross-site"},
        {"host": "127.0.0.1:4566", "sec_fetch_site": "same-site"},
    ):
        refused = GUARD.refusal(_request(**headers))
        assert refused is not None and refused.status_code == 403, headers
        assert "access-control-allow-origin" not in refused.headers


def test_an_action_needs_the_token_in_cookie_and_header_or_field() -> None:
    def refused(body: bytes = b"", **headers: str) -> bool:
        request = _request("POST", body, host="127.0.0.1:4566", **headers)
        return asyncio.run(GUARD.action_refusal(request)) is not None

    cookie = f"{COOKIE}=secret-token"
    assert not refused(cookie=cookie, x_console_token="secret-token")
    assert not refused(
        b"_token=secret-token&body=x",
        cookie=cookie,
        content_type="application/x-www-form-urlencoded",
    )
    assert refused(x_console_token="secret-token")  # no cookie: a cross-site form post
    assert refused(cookie=cookie)  # no header nor field
    assert refused(cookie=cookie, x_console_token="guess")
    assert refused(cookie=f"{COOKIE}=guess", x_console_token="secret-token")


def test_each_process_has_its_own_token() -> None:
    assert Guard(AllowedHosts()).token != Guard(AllowedHosts()).token
    assert len(Guard(AllowedHosts()).token) >= 40
