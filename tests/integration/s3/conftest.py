"""S3 on loopback: serverlite's (the endpoint's admission and S3 router over the S3
backend, uvicorn in a thread) and moto's server, and boto3 clients for both."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from starlette.applications import Starlette
from starlette.middleware import Middleware

from serverlite.aws.backend import ServiceContext
from serverlite.aws.dispatch.admission import Admission, AllowedHosts
from serverlite.aws.dispatch.rest_xml import RestXmlRouter, web_request_allowed
from serverlite.aws.s3.service import S3Service
from serverlite.virtual_time import VirtualClock
from tests.integration.conftest import serve_in_thread


@dataclass
class Endpoint:
    url: str
    backend: S3Service
    clock: VirtualClock

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])


def client(url: str, **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 0}, read_timeout=30, **config),
    )


@contextlib.contextmanager
def serve_s3(state_dir: Path) -> Iterator[Endpoint]:
    clock = VirtualClock()
    backend = S3Service(
        ServiceContext(
            state_dir=state_dir, region="us-east-1", account_id="123456789012", clock=clock
        )
    )
    face = backend.rest_xml
    app = Starlette(
        middleware=[
            Middleware(Admission, hosts=AllowedHosts(), web=web_request_allowed(face)),
            Middleware(RestXmlRouter, service=face),
        ]
    )
    try:
        with serve_in_thread(app, lifespan="off") as url:
            yield Endpoint(url, backend, clock)
    finally:
        backend.close()


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    with serve_s3(tmp_path_factory.mktemp("s3")) as served:
        yield served


@pytest.fixture(scope="module")
def s3(endpoint: Endpoint) -> Any:
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
