"""Kinesis endpoints on loopback: serverlite's (in-process, uvicorn in a thread, on a
clock tests move) and moto's server, and boto3 clients for both."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
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
from serverlite.aws.kinesis.service import Kinesis
from tests.integration.conftest import serve_in_thread


class FakeClock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@dataclass
class Endpoint:
    url: str
    backend: Kinesis
    clock: FakeClock


def client(url: str) -> Any:
    return boto3.client(
        "kinesis",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, read_timeout=30),
    )


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    clock = FakeClock()
    backend = Kinesis(
        ServiceContext(
            state_dir=tmp_path_factory.mktemp("kinesis"),
            region="us-east-1",
            account_id="123456789012",
            clock=clock,
        )
    )
    assert backend.json is not None
    services = {backend.json.target_prefix: backend.json}

    async def root(request: Request) -> Response:
        return await dispatch(request, services)

    app = Starlette(routes=[Route("/", root, methods=["POST"])])
    try:
        with serve_in_thread(app, lifespan="off") as url:
            yield Endpoint(url, backend, clock)
    finally:
        backend.close()


@pytest.fixture(scope="module")
def kinesis(endpoint: Endpoint) -> Any:
    return client(endpoint.url)


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
