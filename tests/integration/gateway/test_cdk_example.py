"""examples/cdk-app: `serverlite up --cdk cdk.out` runs what `cdk synth` wrote — a function
from its asset directory, a DynamoDB table, a REST API built from RestApi/Resource/Method
and an HTTP API from ApiGatewayV2 Api/Route/Integration — over real HTTP.

When the `cdk` command and the example's node_modules are there, the app is synthesized
afresh into a temporary directory; otherwise the committed cdk.out is used."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Server, cli, refused_port, start_server

pytestmark = pytest.mark.slow

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "cdk-app"


def cloud_assembly(tmp: Path) -> Path:
    cdk = shutil.which("cdk")
    if cdk is None or not (EXAMPLE / "node_modules" / "aws-cdk-lib").is_dir():
        return EXAMPLE / "cdk.out"
    out = tmp / "cdk.out"
    subprocess.run(
        [cdk, "synth", "--quiet", "--output", str(out)],
        cwd=EXAMPLE,
        check=True,
        capture_output=True,
        timeout=300,
    )
    return out


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("cdk")
    up = start_server(
        cloud_assembly(root),
        root / "state",
        "--port",
        "0",
        "--no-reload",
    )
    yield up
    up.stop()


def test_rest_api_from_resources_and_methods(server: Server) -> None:
    base = server.api_base("ItemsRestApi10ACB999") + "/prod"
    created = httpx.post(f"{base}/items", json={"id": "lamp", "price": 3})
    assert (created.status_code, created.json()) == (201, {"id": "lamp", "price": 3})
    assert httpx.get(f"{base}/items").json() == {"items": [{"id": "lamp", "price": 3}]}
    assert httpx.get(f"{base}/items/lamp").json() == {"id": "lamp", "price": 3}
    missing = httpx.delete(f"{base}/items/lamp")  # no DELETE method on the resource
    assert missing.status_code == 403


def test_http_api_from_apigatewayv2_routes(server: Server) -> None:
    base = server.api_base("ItemsHttpApiE1D7F208")
    httpx.post(server.api_base("ItemsRestApi10ACB999") + "/prod/items", json={"id": "desk"})
    assert httpx.get(f"{base}/items/desk").json() == {"id": "desk"}
    assert httpx.get(f"{base}/items/none").status_code == 404
    assert httpx.get(f"{base}/items").json() == {"message": "Not Found"}


def test_cdk_option_names_the_cloud_assembly_and_its_stack(tmp_path: Path) -> None:
    state = ("--state-dir", str(tmp_path / "state"))
    assembly = str(EXAMPLE / "cdk.out")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"httpMethod": "GET", "pathParameters": None}))
    with refused_port() as port:
        ran = cli(
            "invoke", "ItemsFunction736859B1", "--cdk", assembly, "-e", str(event),
            "--aws-endpoint", f"http://127.0.0.1:{port}", *state,
        )  # fmt: skip
    # the function ran from the assembly's asset; its table is not there without `up`
    assert ran.returncode == 1, ran.stderr
    assert json.loads(ran.stdout)["errorType"] == "EndpointConnectionError"
    missing = cli("invoke", "ItemsFunction736859B1", "--cdk", assembly, "--cdk-stack", "Nope")
    assert missing.returncode == 2
    assert "no stack 'Nope' in the cloud assembly (stacks: CdkItemsStack)" in missing.stderr
