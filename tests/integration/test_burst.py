"""1,000 concurrent requests to one API: all answered, environments bounded by the budget."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import FIXTURES, Server, start_server, wait_for

pytestmark = pytest.mark.integration
BUDGET_MB = 1280  # ten environments of the fixture's 128 MB
REQUESTS = 1000


@pytest.fixture(scope="module")
def burst_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, int]]:
    server = start_server(
        FIXTURES / "burst" / "template.yaml",
        tmp_path_factory.mktemp("burst") / "state",
        "--port",
        "0",
        "--memory-budget",
        str(BUDGET_MB),
        "--no-reload",
    )
    port = urlsplit(server.api_base()).port
    assert port is not None
    yield server, port
    server.stop()


async def _one(port: int) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            f"GET /pid HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
        )
        response = await reader.read()  # until the server closes
    finally:
        writer.close()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body, time.perf_counter() - started


def test_a_thousand_concurrent_requests_are_all_answered_within_the_budget(burst_api):
    server, port = burst_api

    async def burst() -> list[tuple[int, bytes, float]]:
        return await asyncio.wait_for(
            asyncio.gather(*(_one(port) for _ in range(REQUESTS))), timeout=120
        )

    results = asyncio.run(burst())
    statuses = [status for status, _, _ in results]
    assert statuses == [200] * REQUESTS, {s: statuses.count(s) for s in set(statuses)}
    environments = {int(body) for _, body, _ in results}
    assert 1 <= len(environments) <= BUDGET_MB // 128
    assert "fill the memory budget (1280 MB)" in server.output()


def test_an_environment_killed_while_idle_does_not_fail_the_next_request(burst_api):
    _server, port = burst_api

    def get() -> tuple[int, bytes]:
        status, body, _ = asyncio.run(_one(port))
        return status, body

    status, body = get()
    assert status == 200
    victim = int(body)
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{victim}").exists(), 5.0)
    for _ in range(REQUESTS // 100):  # whichever idle environment the pool takes next
        status, body = get()
        assert status == 200, body
        assert int(body) != victim
