"""The in-process app (``AppHarness``, the pytest plugin's ``serverlite_app``) serves what
``serverlite up`` serves, on loopback ports from the OS: its APIs, function URLs and
WebSocket APIs; a function calling any of them by its URL reaches it."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest
from websockets.sync.client import connect

from serverlite.harness import AppHarness

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.serverlite(
        "../fixtures/plugin_served/template.yaml", parameter_overrides={"Greeting": "given"}
    ),
]


def wait_for(check: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def served(serverlite: AppHarness) -> AppHarness:
    return serverlite


def test_a_function_calls_the_api_and_a_function_url_by_their_urls(served: AppHarness) -> None:
    answer = served.aws("lambda").invoke(FunctionName="Caller")
    assert json.loads(answer["Payload"].read()) == {
        "api": {"greeting": "given"},
        "url": {"greeting": "given"},
    }


def test_the_api_and_the_url_are_served_on_ports_from_the_os(served: AppHarness) -> None:
    api = served.api_url()
    assert api.startswith("http://127.0.0.1:") and not api.endswith(":3000")
    assert httpx.get(f"{api}/hello").json() == {"greeting": "given"}
    assert httpx.get(served.function_url("Hello")).json() == {"greeting": "given"}


@pytest.mark.serverlite("../../examples/websocket-chat/template.yaml")
def test_a_websocket_api_and_its_connections_url_are_served(serverlite: AppHarness) -> None:
    url = serverlite.websocket_url()
    assert url.startswith("ws://127.0.0.1:")
    table = serverlite.aws("dynamodb")

    def stored() -> list[str]:
        items = table.scan(TableName="ConnectionsTable")["Items"]
        return sorted(i["nickname"]["S"] for i in items)

    with (
        connect(f"{url}?token=letmein&name=alice", open_timeout=20) as alice,
        connect(f"{url}?token=letmein&name=bob", open_timeout=20) as bob,
    ):
        assert wait_for(lambda: stored() == ["alice", "bob"])
        # SendMessage posts to bob through @connections at https://{domainName}/{stage}
        alice.send(json.dumps({"action": "sendmessage", "data": "hi"}))
        assert json.loads(bob.recv(timeout=20)) == {"from": "alice", "data": "hi"}
