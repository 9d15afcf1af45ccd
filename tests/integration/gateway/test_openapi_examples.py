"""The OpenAPI examples (examples/openapi-rest, examples/openapi-http) through `serverlite up`
and its real gateway, over HTTP: routes from the document and from SAM events merged into
it, aws_proxy, mock and http_proxy integrations, authorizers, validation, CORS, binary
media types, and the parameters samconfig.toml gives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Server, cli, json_documents, start_server

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with json_documents(lambda base: {"/greet/ada": {"upstream": "hi ada"}}) as base:
        yield base


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory, upstream: str) -> Iterator[Server]:
    server = start_server(
        EXAMPLES / "openapi-rest" / "template.yaml",
        tmp_path_factory.mktemp("openapi-rest") / "state",
        "--port",
        "0",
        "--no-reload",
        "--parameter-overrides",
        f"UpstreamUrl={upstream}",
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        EXAMPLES / "openapi-http" / "template.yaml",
        tmp_path_factory.mktemp("openapi-http") / "state",
        "--port",
        "0",
        "--no-reload",
    )
    yield server
    server.stop()


def test_rest_proxy_routes_from_the_document_and_a_merged_event(rest: Server) -> None:
    base = rest.api_base() + "/v1"
    # Greeting has no Default: samconfig.toml's default environment gives it
    assert httpx.get(f"{base}/items").json() == {"items": [], "greeting": "hello"}
    assert httpx.get(f"{base}/items/42").json() == {"id": "42"}
    assert httpx.get(f"{base}/hello/ada").json() == {"message": "hello, ada"}
    missing = httpx.get(f"{base}/nowhere")
    assert (missing.status_code, missing.json()) == (
        403,
        {"message": "Missing Authentication Token"},
    )


def test_rest_mock_integration(rest: Server) -> None:
    response = httpx.get(rest.api_base() + "/v1/health")
    assert response.status_code == 200
    assert response.headers["x-health"] == "ok"
    assert response.json() == {"status": "healthy"}


def test_rest_authorizer_then_validator(rest: Server) -> None:
    url = rest.api_base() + "/v1/items"
    good = {"Authorization": "Bearer letmein", "X-Request-Source": "test"}
    assert (
        httpx.post(url, json={"name": "lamp"}, headers={"X-Request-Source": "t"}).status_code == 401
    )
    created = httpx.post(url, json={"name": "lamp", "price": 3}, headers=good)
    assert (created.status_code, created.json()) == (201, {"created": "lamp", "by": "user-1"})
    invalid = httpx.post(url, json={"price": -1}, headers=good)
    assert (invalid.status_code, invalid.json()) == (400, {"message": "Invalid request body"})
    no_header = httpx.post(url, json={"name": "x"}, headers={"Authorization": "Bearer letmein"})
    assert no_header.status_code == 400
    assert no_header.json() == {
        "message": "Missing required request parameters: [X-Request-Source]"
    }


def test_rest_binary_media_type_and_greedy_path(rest: Server) -> None:
    url = rest.api_base() + "/v1/files/a/b.png"
    as_binary = httpx.get(url, headers={"Accept": "image/png"})
    assert as_binary.content == b"\x89PNG\r\n\x1a\na/b.png"
    # x-amazon-apigateway-any-method; the response's Content-Type is a binary type too
    any_method = httpx.delete(url, headers={"Accept": "application/json"})
    assert any_method.content == b"\x89PNG\r\n\x1a\na/b.png"


def test_rest_http_proxy_to_loopback(rest: Server) -> None:
    response = httpx.get(rest.api_base() + "/v1/upstream/greet/ada")
    assert (response.status_code, response.json()) == (200, {"upstream": "hi ada"})


def test_http_api_from_definition_uri_merged_with_events(http: Server) -> None:
    base = http.api_base()
    assert httpx.get(f"{base}/notes").json() == {"notes": [], "route": "GET /notes"}
    assert httpx.get(f"{base}/notes/7").json() == {"id": "7", "route": "GET /notes/{id}"}
    refused = httpx.post(f"{base}/notes", json={"text": "hi"}, headers={"X-Notes-Key": "no"})
    assert (refused.status_code, refused.json()) == (403, {"message": "Forbidden"})
    created = httpx.post(
        f"{base}/notes", json={"text": "hi"}, headers={"X-Notes-Key": "open-sesame"}
    )
    assert (created.status_code, json.loads(created.content)) == (201, {"created": "hi"})


def test_http_api_cors_from_the_document(http: Server) -> None:
    preflight = httpx.options(
        http.api_base() + "/notes",
        headers={
            "Origin": "https://notes.example",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://notes.example"
    assert preflight.headers["access-control-max-age"] == "600"


def test_invoke_with_a_named_config_environment_and_env_vars(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pathParameters": {"name": "ada"}}))
    env_vars = tmp_path / "env.json"
    # HelloFunction's own entry wins over Parameters; an undeclared name is ignored
    env_vars.write_text(
        json.dumps({"Parameters": {"GREETING": "hi"}, "HelloFunction": {"OTHER": "x"}})
    )
    template = str(EXAMPLES / "openapi-rest" / "template.yaml")
    args = ("invoke", "HelloFunction", "-t", template, "-e", str(event))
    state = ("--state-dir", str(tmp_path / "state"))
    formal = cli(*args, *state, "--config-env", "formal")
    assert formal.returncode == 0, formal.stderr
    assert json.loads(json.loads(formal.stdout)["body"]) == {"message": "good day, ada"}
    overridden = cli(*args, *state, "--env-vars", str(env_vars))
    assert overridden.returncode == 0, overridden.stderr
    assert json.loads(json.loads(overridden.stdout)["body"]) == {"message": "hi, ada"}
    assert "HelloFunction does not declare OTHER" in overridden.stderr
