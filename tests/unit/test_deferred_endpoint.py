"""The AWS endpoint while services are still being built (aws/deferred.py): JSON
requests to the built services go to the early endpoint; any other request builds the
rest first, and from then on every request goes to the full endpoint."""

from __future__ import annotations

import asyncio
from typing import Any

from serverlite.aws.deferred import UntilBuilt


class App:
    def __init__(self, name: str, seen: list[str]) -> None:
        self.name, self.seen = name, seen

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.seen.append(self.name)


def _scope(path: str = "/", target: bytes | None = None) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1")]
    if target is not None:
        headers.append((b"x-amz-target", target))
    return {"type": "http", "path": path, "headers": headers}


def test_requests_go_early_until_another_service_is_asked_for() -> None:
    seen: list[str] = []
    pending = [True]
    built: list[str] = []

    def build() -> None:
        built.append("all")
        pending[0] = False

    endpoint = UntilBuilt(
        App("early", seen),
        frozenset({"DynamoDB_20120810"}),
        pending=lambda: pending[0],
        build=build,
        full=lambda: App("full", seen),
    )

    async def go() -> None:
        await endpoint(_scope(target=b"DynamoDB_20120810.ListTables"), None, None)
        await endpoint(_scope(target=b"AmazonSSM.GetParameter"), None, None)
        await endpoint(_scope(target=b"DynamoDB_20120810.ListTables"), None, None)

    asyncio.run(go())
    assert seen == ["early", "full", "full"]
    assert built == ["all"]


def test_other_protocols_build_first_and_a_finished_build_goes_full() -> None:
    seen: list[str] = []
    pending = [True]

    def build() -> None:
        pending[0] = False

    endpoint = UntilBuilt(
        App("early", seen),
        frozenset({"DynamoDB_20120810"}),
        pending=lambda: pending[0],
        build=build,
        full=lambda: App("full", seen),
    )
    asyncio.run(endpoint(_scope("/2015-03-31/functions/Hello/invocations"), None, None))
    assert seen == ["full"]

    seen.clear()
    later = UntilBuilt(
        App("early", seen),
        frozenset({"DynamoDB_20120810"}),
        pending=lambda: False,  # built in the background meanwhile
        build=lambda: None,
        full=lambda: App("full", seen),
    )
    asyncio.run(later(_scope(target=b"DynamoDB_20120810.ListTables"), None, None))
    assert seen == ["full"]
