"""DynamoDB endpoints on loopback: serverlite's (in-process, uvicorn in a thread) and
moto's server, and boto3 clients for both."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from serverlite.aws.backend import ServiceContext
from serverlite.aws.dispatch.json_rpc import dispatch
from serverlite.aws.dynamodb.service import DynamoDB
from tests.integration.conftest import serve_in_thread


@dataclass
class Endpoint:
    url: str
    backend: DynamoDB | None = None
    clock: Callable[[], float] | None = None


class FakeClock:
    """A clock tests can move (TTL)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def client(url: str, service: str = "dynamodb", **config: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, read_timeout=30, **config),
    )


@contextlib.contextmanager
def serve_dynamodb(state_dir: Path, clock: Callable[[], float] = time.time) -> Iterator[Endpoint]:
    backend = DynamoDB(
        ServiceContext(
            state_dir=state_dir, region="us-east-1", account_id="123456789012", clock=clock
        ),
        ttl_interval_s=0.05,
    )
    services = {b.json.target_prefix: b.json for b in (backend, *backend.companions()) if b.json}
    sweeping: list[bool] = []

    async def root(request: Request) -> Response:
        if not sweeping:  # the TTL sweeper runs on the server's loop, as under `up`
            sweeping.append(True)
            await backend.start_event_sources(None)  # type: ignore[arg-type]
        return await dispatch(request, services)

    app = Starlette(routes=[Route("/", root, methods=["POST"])])
    try:
        with serve_in_thread(app, lifespan="off") as url:
            yield Endpoint(url, backend, clock)
    finally:
        backend.close()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    with serve_dynamodb(tmp_path_factory.mktemp("dynamodb")) as served:
        yield served


@pytest.fixture(scope="module")
def ddb(endpoint: Endpoint) -> Any:
    return client(endpoint.url)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)  # the OS picks
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
