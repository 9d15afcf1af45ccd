"""API Gateway over real HTTP: REST (v1) and HTTP (v2) APIs from one template."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    APIGatewayProxyEventV2Model,
)

from tests.aws_samples import aws_sample
from tests.integration.conftest import FIXTURES, Server, lambda_client, start_server

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, str]]:
    root = tmp_path_factory.mktemp("gw")
    server = start_server(FIXTURES / "gateway" / "template.yaml", root / "state", "--port", "0")
    yield server, server.api_base("HttpApi"), server.api_base("RestApi")
    server.stop()


@pytest.fixture(scope="module")
def http(gateway) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as client:
        yield client


def sample(name: str) -> dict:
    return dict(aws_sample(name))


def test_rest_event_is_payload_v1_as_aws_sends_it(gateway, http):
    _, _, rest = gateway
    response = http.get(
        f"{rest}/dev/echo/42?a=1&a=2&b=3",
        headers=[
            ("Mixed-Case", "kept"),
            ("X-Dup", "one"),
            ("X-Dup", "two"),
            ("User-Agent", "tests"),
        ],
    )
    assert response.status_code == 200
    event = response.json()
    APIGatewayProxyEventModel.model_validate(event)
    expected = sample("apiGatewayProxyEvent.json")
    assert set(event) == set(expected) - {"version"}
    assert set(expected["requestContext"]) - {"authorizer", "resourceId"} <= set(
        event["requestContext"]
    )
    assert event["resource"] == "/echo/{id}"
    assert event["path"] == "/echo/42"
    assert event["httpMethod"] == "GET"
    assert event["headers"]["Mixed-Case"] == "kept"  # REST keeps the client's header case
    assert event["headers"]["X-Dup"] == "two"
    assert event["multiValueHeaders"]["X-Dup"] == ["one", "two"]
    assert event["queryStringParameters"] == {"a": "2", "b": "3"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["3"]}
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] == {"tier": "test"}
    assert event["body"] is None
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["stage"] == "dev"
    assert ctx["path"] == "/dev/echo/42"
    assert ctx["resourcePath"] == "/echo/{id}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["identity"]["userAgent"] == "tests"
    assert ctx["accountId"] == "123456789012"
    assert response.headers["x-amzn-RequestId"] == ctx["requestId"]


def test_rest_serves_with_and_without_the_stage_prefix(gateway, http):
    _, _, rest = gateway
    assert http.get(f"{rest}/dev/items/1").json()["name"] == "lamp"
    assert http.get(f"{rest}/items/1?q=x").json() == {"id": "1", "name": "lamp", "q": "x"}


def test_rest_binary_request_body_is_base64(gateway, http):
    _, _, rest = gateway
    blob = bytes(range(256))
    event = http.post(
        f"{rest}/echo/1", content=blob, headers={"Content-Type": "application/octet-stream"}
    ).json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == blob
    text = http.post(f"{rest}/echo/1", json={"a": 1}).json()
    assert text["isBase64Encoded"] is False
    assert json.loads(text["body"]) == {"a": 1}


def test_http_event_is_payload_v2_as_aws_sends_it(gateway, http):
    _, api, _ = gateway
    response = http.get(
        f"{api}/echo/7?x=1&x=2&y=",
        headers=[
            ("Cookie", "c1=v1; c2=v2"),
            ("X-Dup", "one"),
            ("X-Dup", "two"),
            ("Mixed-Case", "v"),
        ],
    )
    event = response.json()
    APIGatewayProxyEventV2Model.model_validate(event)
    expected = sample("apiGatewayProxyV2Event.json")
    assert set(event) == set(expected) - {"body", "stageVariables"}
    assert event["version"] == "2.0"
    assert event["routeKey"] == "ANY /echo/{id}"
    assert event["rawPath"] == "/echo/7"
    assert event["rawQueryString"] == "x=1&x=2&y="
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-dup"] == "one,two"
    assert event["headers"]["mixed-case"] == "v"
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["pathParameters"] == {"id": "7"}
    http_ctx = event["requestContext"]["http"]
    assert http_ctx == {
        "method": "GET",
        "path": "/echo/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": http_ctx["userAgent"],
    }
    assert event["requestContext"]["stage"] == "$default"
    assert response.headers["apigw-requestid"] == event["requestContext"]["requestId"]


def test_http_api_payload_format_1_0(gateway, http):
    _, api, _ = gateway
    event = http.post(f"{api}/v1/echo", json={"k": "v"}).json()
    assert event["version"] == "1.0"
    APIGatewayProxyEventModel.model_validate(event)
    assert event["multiValueHeaders"]["content-type"] == ["application/json"]


def test_http_binary_body(gateway, http):
    _, api, _ = gateway
    blob = b"\x89PNG\x00\xff"
    event = http.post(f"{api}/echo/2", content=blob, headers={"content-type": "image/png"}).json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == blob


def test_powertools_rest_resolver_app(gateway, http):
    _, _, rest = gateway
    assert http.get(f"{rest}/items/9").status_code == 404
    created = http.post(f"{rest}/items", json={"name": "desk"})
    assert created.status_code == 201
    assert created.json() == {"created": "desk"}
    pixel = http.get(f"{rest}/pixel")
    assert pixel.status_code == 200
    assert pixel.headers["content-type"] == "image/png"
    assert pixel.content.startswith(b"\x89PNG")


def test_powertools_http_resolver_app(gateway, http):
    _, api, _ = gateway
    got = http.get(f"{api}/things/5?tags=a&tags=b")
    assert got.json() == {"id": "5", "tags": "a,b"}
    put = http.put(f"{api}/things/5", json={"colour": "red"})
    assert put.json() == {"id": "5", "colour": "red"}


def test_request_model_validation_refuses_without_invoking(gateway, http):
    _, _, rest = gateway
    bad = http.post(f"{rest}/items", json={"nam": "x"})
    assert bad.status_code == 400
    assert bad.content == b'{"message":"Invalid request body"}'
    assert bad.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert http.post(f"{rest}/items", content=b"not json").status_code == 400


def test_required_request_parameters(gateway, http):
    _, _, rest = gateway
    missing = http.get(f"{rest}/files/a/b")
    assert missing.status_code == 400
    assert missing.json() == {"message": "Missing required request parameters: [version]"}
    ok = http.get(f"{rest}/files/a/b?version=3").json()
    assert ok["pathParameters"] == {"proxy": "a/b"}
    assert ok["resource"] == "/files/{proxy+}"


def test_unknown_rest_route_is_missing_authentication_token(gateway, http):
    _, _, rest = gateway
    for response in (http.get(f"{rest}/nowhere"), http.delete(f"{rest}/items/1")):
        assert response.status_code == 403
        assert response.content == b'{"message":"Missing Authentication Token"}'
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_http_default_route_catches_the_rest(gateway, http):
    _, api, _ = gateway
    response = http.get(f"{api}/not/a/route")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"bare": True, "path": "/not/a/route"}


def test_function_errors_and_malformed_responses(gateway, http):
    _, api, rest = gateway
    failed = http.get(f"{rest}/fail")
    assert failed.status_code == 502
    assert failed.content == b'{"message": "Internal server error"}'
    assert http.get(f"{rest}/malformed").status_code == 502
    http_failed = http.get(f"{api}/fail")
    assert http_failed.status_code == 500
    assert http_failed.content == b'{"message":"Internal Server Error"}'


def test_integration_timeout(gateway, http):
    _, api, _ = gateway
    response = http.get(f"{api}/slow")
    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}


def test_v2_response_cookies_and_multi_value_headers(gateway, http):
    _, api, _ = gateway
    response = http.post(f"{api}/cookies")
    assert response.status_code == 201
    assert response.headers.get_list("set-cookie") == ["a=1; Path=/", "b=2"]
    assert response.headers.get_list("x-multi") == ["one", "two"]
    assert response.headers["x-single"] == "s"
    assert response.text == "made"


def test_rest_cors_preflight(gateway, http):
    _, _, rest = gateway
    response = http.options(
        f"{rest}/items",
        headers={"Origin": "https://example.com", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://example.com"
    assert response.headers["access-control-allow-methods"] == "OPTIONS,POST"
    assert response.headers["access-control-allow-headers"] == "Content-Type,Authorization"
    assert response.headers["access-control-max-age"] == "600"


def test_http_cors_preflight_and_response_headers(gateway, http):
    _, api, _ = gateway
    preflight = http.options(
        f"{api}/things/1",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert preflight.headers["access-control-allow-methods"] == "GET,PUT"
    assert preflight.headers["access-control-allow-headers"] == "content-type"
    assert preflight.headers["access-control-max-age"] == "300"
    allowed = http.get(f"{api}/things/1", headers={"Origin": "https://app.example.com"})
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert allowed.headers["access-control-expose-headers"] == "x-request-id"
    other = http.get(f"{api}/things/1", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_template_api_urls_point_at_the_local_gateway(gateway):
    server, api, rest = gateway
    config = lambda_client(server).get_function_configuration(FunctionName="Caller")
    variables = config["Environment"]["Variables"]
    assert variables["REST_URL"] == f"{rest}/dev"
    assert variables["HTTP_URL"] == api
    assert f"{rest}/dev" in server.output()


def test_oversized_body_is_refused(gateway, http):
    _, _, rest = gateway
    response = http.post(f"{rest}/echo/1", content=b"x" * (10 * 1024 * 1024 + 1))
    assert response.status_code == 413


def test_paths_reach_functions_encoded_on_rest_and_decoded_on_http(gateway, http):
    # REST: path and parameters as sent (AWS: "test%2Balias" stays so; LocalStack's
    # AWS-validated snapshot of test_lambda_aws_proxy_integration).
    _, api, rest = gateway
    v1 = http.get(f"{rest}/echo/a%20b").json()
    assert v1["path"] == "/echo/a%20b"
    assert v1["pathParameters"] == {"id": "a%20b"}
    v2 = http.get(f"{api}/echo/a%20b?q=x%20y").json()
    assert v2["rawPath"] == "/echo/a b"
    assert v2["pathParameters"] == {"id": "a b"}
    assert v2["rawQueryString"] == "q=x%20y"
    assert v2["queryStringParameters"] == {"q": "x y"}
