"""Fixtures that run `serverlite up` as a real process on loopback."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

FIXTURES = Path(__file__).parent.parent / "fixtures"


@contextmanager
def refused_port() -> Iterator[int]:
    """A loopback port where nothing listens while the block runs: it is bound (so no
    other process takes it) but not listening, so connections to it are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(app: Any, **config: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn on a loopback socket the OS gave a port (bound here,
    handed to uvicorn: no probe another process could race); yields its base URL."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **config))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started or not thread.is_alive(), 10)
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    state_dir: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def api_urls(self) -> dict[str, str]:
        """API qualified id (``Identity/IdentityApi``) -> its URL, from the
        ``API <id>: <url>`` lines `serverlite up` prints once it is up."""
        return dict(re.findall(r"^API (\S+): (\S+)\s*$", self.output(), re.MULTILINE))

    def api_base(self, api: str | None = None) -> str:
        """The base URL (no stage) of the API whose qualified id ends with ``api``, or of
        the only API."""
        urls = [u for key, u in self.api_urls().items() if api is None or key.endswith(api)]
        assert len(urls) == 1, (api, self.api_urls())
        parts = urlsplit(urls[0])
        return f"{parts.scheme}://{parts.netloc}"

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def cli(
    *args: str, stdin: bytes | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the serverlite command line as a user does; its exit code and output."""
    return subprocess.run(
        [sys.executable, "-m", "serverlite.cli", *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        check=False,
    )


def start_server(template: Path, state_dir: Path, *args: str, port: int = 0) -> Server:
    """`serverlite up` on ``template``: its AWS endpoint on ``port`` (0: one the OS
    picks, read from what `up` prints). APIs take ports as ``args`` say; give
    ``--port 0`` and find them with ``Server.api_urls``."""
    log_path = state_dir.parent / f"serverlite-{time.monotonic_ns()}.log"
    state_dir.mkdir(parents=True, exist_ok=True)
    if "--port" not in args:  # APIs on ports from the OS: never 3000, which another suite
        args = ("--port", "0", *args)  # running on this machine may hold

    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "serverlite.cli",
                "up",
                "--template",
                str(template),
                "--state-dir",
                str(state_dir),
                "--aws-port",
                str(port),
                "--xray-port",
                "0",
                *args,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "200"},
        )
    server = Server(proc, port, state_dir, log_path)
    # A first start on a fresh machine installs the functions' requirement sets (a
    # download); later ones find them in the shared cache (docs/dependencies.md).
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serverlite up exited early:\n{server.output()}")
        if "serverlite is up" in server.output():
            found = re.search(r"AWS endpoint http://[^\s/]+:(\d+)", server.output())
            assert found, server.output()
            server.port = int(found.group(1))
            with urllib.request.urlopen(f"{server.url}/_serverlite/health", timeout=5):
                return server
        time.sleep(0.05)
    server.stop(signal.SIGKILL)
    raise AssertionError(f"serverlite up did not answer within 60 s:\n{server.output()}")


def start_with_markers(
    tmp_path_factory: pytest.TempPathFactory, template: Path, markers: Path, *args: str
) -> Server:
    """`serverlite up` on a fixture template whose functions leave markers in ``markers``."""
    return start_server(
        template,
        tmp_path_factory.mktemp(template.parent.name) / "state",
        "--parameter-overrides",
        f"MarkerDir={markers}",
        "--no-reload",
        *args,
    )


@contextmanager
def json_documents(documents_at: Callable[[str], dict[str, Any]]) -> Iterator[str]:
    """Serve JSON documents on loopback (a JWKS, an OpenID configuration): yields the
    base URL; ``documents_at(base)`` maps paths to documents, other paths are 404."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    documents = documents_at(base)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path in documents
            body = json.dumps(documents[self.path] if found else {}).encode()
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def aws_client(server: Server, service: str) -> Any:
    """A boto3 client of the server's AWS endpoint; no retries, so failures show at once."""
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 0}, read_timeout=30),
    )


def sigv4(service: str) -> str:
    """An Authorization header of SigV4's shape, for hand-made requests: the endpoint
    wants a signature on every action, as AWS does, but verifies none."""
    return (
        f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=0"
    )


def lambda_client(server: Server) -> Any:
    return aws_client(server, "lambda")


def wait_for(
    check: Callable[[], Any],
    timeout: float = 10.0,
    every: float = 0.02,
    why: Callable[[], str] | None = None,
) -> Any:
    """Poll ``check`` until it returns something truthy, and return that; after
    ``timeout`` seconds fail, saying ``why()`` if given."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            detail = why() if why is not None else f"waiting for {check}"
            raise AssertionError(f"timed out after {timeout} s: {detail}")
        time.sleep(every)


@pytest.fixture(scope="module")
def zygote() -> Iterator[Any]:
    """The zygotes (each started on first use) for tests that drive an EnvironmentPool."""
    from serverlite.functions.zygote import Zygotes

    z = Zygotes()
    yield z
    z.close()


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("app")
    server = start_server(
        FIXTURES / "app" / "template.yaml",
        root / "state",
        "--parameter-overrides",
        f"MarkerDir={root / 'markers'}",
    )
    yield server
    server.stop()
