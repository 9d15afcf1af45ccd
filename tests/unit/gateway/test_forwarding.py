"""The request a function sees, through the whole gateway pipeline (no sockets).

Unless a test says otherwise, AWS's behaviour here is what a REST API with a
``{proxy+}`` and a ``/hardcoded`` resource behind a Lambda proxy integration answered,
as recorded in LocalStack's AWS-validated snapshot of
tests/aws/services/apigateway/test_apigateway_lambda.py::test_lambda_aws_proxy_integration
(the request names below are that recording's).
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace
from typing import Any

import pytest

from serverlite.gateway.discovery import _endpoint_type
from serverlite.gateway.gateway import Gateway
from serverlite.gateway.http import HttpRequest, HttpResponse
from serverlite.gateway.model import ApiSpec, AuthorizerSpec, RouteSpec
from serverlite.invoker import InvokeRequest, InvokeResult


class EchoInvoker:
    """Answers every invocation with the event it got, as a proxy response body."""

    def __init__(self) -> None:
        self.app = SimpleNamespace(functions=[], region="us-east-1", account_id="123456789012")
        self.requests: list[InvokeRequest] = []

    async def invoke(self, req: InvokeRequest) -> InvokeResult:
        self.requests.append(req)
        body = {"statusCode": 200, "body": req.payload.decode()}
        return InvokeResult(200, "r", json.dumps(body).encode())


def gateway(kind: str = "REST", **fields: Any) -> tuple[Gateway, EchoInvoker]:
    version = "1.0" if kind == "REST" else "2.0"
    if kind == "REST":
        fields.setdefault("endpoint_type", "EDGE")
    routes = (
        RouteSpec(method="ANY", path="/{proxy+}", function="f", payload_version=version),
        RouteSpec(method="ANY", path="/hardcoded", function="f", payload_version=version),
    )
    api = ApiSpec(
        logical_id="Api",
        stack_path=(),
        api_id="abc123defg",
        kind=kind,  # type: ignore[arg-type]
        stage="stage" if kind == "REST" else "$default",
        routes=routes,
        **fields,
    )
    invoker = EchoInvoker()
    return Gateway(api, invoker, port=3001), invoker  # type: ignore[arg-type]


def send(gw: Gateway, path: str, headers: list[tuple[str, str]] | None = None, **kw: Any) -> Any:
    request = HttpRequest(method=kw.pop("method", "GET"), path=path, headers=headers or [], **kw)
    response = asyncio.run(gw.handle(request))
    return json.loads(response.body), response


def event_of(gw: Gateway, path: str, **kw: Any) -> dict[str, Any]:
    event, response = send(gw, path, **kw)
    assert response.status == 200, response.body
    return event  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("sent", "path", "proxy", "context_path"),
    [
        # "invocation-payload-without-trailing-slash"
        ("/stage/proxy-value", "/proxy-value", "proxy-value", "/stage/proxy-value"),
        # "invocation-payload-with-trailing-slash"
        ("/stage/proxy-value/", "/proxy-value/", "proxy-value", "/stage/proxy-value/"),
        # "invocation-payload-with-double-slash"
        (
            "/stage/proxy-value//double-slash",
            "/proxy-value//double-slash",
            "proxy-value//double-slash",
            "/stage/proxy-value//double-slash",
        ),
        # "invocation-payload-with-prepended-slash-to-stage"
        ("//stage/proxy-value", "/proxy-value", "proxy-value", "/stage/proxy-value"),
        # "invocation-payload-with-prepended-slash"
        ("/stage//proxy-value", "/proxy-value", "proxy-value", "/stage//proxy-value"),
        # "invocation-payload-with-path-encoded-email": parameters stay encoded as sent
        (
            "/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
            "/stage/proxy-value/api/user/test%2Balias@gmail.com/plus/test+alias@gmail.com",
        ),
    ],
)
def test_rest_paths_slashes_and_encoding_as_aws(sent, path, proxy, context_path):
    gw, _ = gateway()
    event = event_of(gw, sent)
    assert event["path"] == path
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": proxy}
    assert event["requestContext"]["path"] == context_path
    assert event["requestContext"]["stage"] == "stage"
    assert event["requestContext"]["resourcePath"] == "/{proxy+}"


def test_rest_hardcoded_resource_behind_doubled_slashes():
    # "invocation-hardcoded": GET /stage//hardcoded
    gw, _ = gateway()
    event = event_of(gw, "/stage//hardcoded")
    assert event["path"] == "/hardcoded"
    assert event["resource"] == "/hardcoded"
    assert event["pathParameters"] is None
    assert event["requestContext"]["path"] == "/stage//hardcoded"


def test_rest_query_string_decoding():
    # "invocation-payload-with-params-encoding"
    gw, _ = gateway()
    query = (
        "dateTimeOffset=2023-06-12T18:05:10.123456+00:00&email=test%2Balias@gmail.com"
        "&plus=test+alias@gmail.com&url=https://www.google.com/&whitespace=foo%20bar&zhash=abort/"
    )
    event = event_of(gw, "/stage/proxy-value/api", query=query)
    assert event["queryStringParameters"] == {
        "dateTimeOffset": "2023-06-12T18:05:10.123456 00:00",
        "email": "test+alias@gmail.com",
        "plus": "test alias@gmail.com",
        "url": "https://www.google.com/",
        "whitespace": "foo bar",
        "zhash": "abort/",
    }


@pytest.mark.parametrize("spelling", ["authorization", "aUThorization", "Authorization"])
def test_rest_authorization_header_arrives_canonical_others_as_sent(spelling):
    # "invocation-payload-without-trailing-slash" ("authorization" sent) and
    # "invocation-payload-with-params-encoding-multi" ("aUThorization" sent).
    gw, _ = gateway()
    event = event_of(gw, "/stage/x", headers=[(spelling, "random-value"), ("tEsT-HEADeR", "v")])
    assert event["headers"]["Authorization"] == "random-value"
    assert event["multiValueHeaders"]["Authorization"] == ["random-value"]
    assert event["headers"]["tEsT-HEADeR"] == "v"
    if spelling != "Authorization":
        assert spelling not in event["headers"]


def test_rest_drops_framing_headers_and_adds_its_own():
    # "invocation-payload-with-params-encoding-multi": a POST with a JSON body arrives with
    # Content-Type, without Connection or Content-Length, with X-Forwarded-* and a trace.
    gw, invoker = gateway(endpoint_type="REGIONAL")
    body = b'{"message": "hello world"}'
    headers = [
        ("Content-Type", "application/json;charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("Connection", "keep-alive"),
        ("X-Forwarded-Port", "1"),
    ]
    event = event_of(gw, "/stage/proxy-value", headers=headers, method="POST", body=body)
    sent = event["headers"]
    assert "Content-Length" not in sent and "Connection" not in sent
    assert sent["Content-Type"] == "application/json;charset=utf-8"
    assert sent["X-Forwarded-For"] == "127.0.0.1"
    assert sent["X-Forwarded-Port"] == "3001"  # where the client really connected
    assert sent["X-Forwarded-Proto"] == "http"
    assert event["multiValueHeaders"]["X-Forwarded-Port"] == ["3001"]
    root = sent["X-Amzn-Trace-Id"].removeprefix("Root=")
    assert root.startswith("1-") and len(root) == 35
    # The function's own trace continues the one API Gateway started.
    assert invoker.requests[0].trace_id.startswith(f"Root={root};Parent=")
    assert not any(name.startswith(("CloudFront-", "Via", "X-Amz-Cf")) for name in sent)


def test_rest_keeps_the_clients_trace_and_extends_its_forwarded_for():
    gw, invoker = gateway(endpoint_type="REGIONAL")
    root = "1-5e6722a7-cc56aaaa46db7ae02d4da47e"
    headers = [("X-Amzn-Trace-Id", f"Root={root};Sampled=1"), ("X-Forwarded-For", "10.0.0.1")]
    sent = event_of(gw, "/stage/x", headers=headers)["headers"]
    assert sent["X-Amzn-Trace-Id"] == f"Root={root}"
    assert sent["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1"
    assert invoker.requests[0].trace_id.startswith(f"Root={root};")


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("REST", None, "EDGE"),  # AWS::ApiGateway::RestApi's documented default
        ("REST", "REGIONAL", "REGIONAL"),  # SAM's short form
        ("REST", {"Type": "private"}, "PRIVATE"),  # SAM's long form
        ("REST", {"Types": ["REGIONAL"]}, "REGIONAL"),  # RestApi's own
        ("HTTP", None, "REGIONAL"),  # HTTP APIs are regional only
    ],
)
def test_endpoint_type_from_the_template(kind, raw, expected):
    assert _endpoint_type(kind, raw) == expected


def test_edge_optimized_rest_apis_add_cloudfronts_headers():
    # The recording's API was edge-optimized (the default).
    gw, _ = gateway()
    sent = event_of(gw, "/stage/x")["headers"]
    assert sent["CloudFront-Forwarded-Proto"] == "http"
    assert sent["CloudFront-Is-Desktop-Viewer"] == "true"
    for viewer in ("Mobile", "SmartTV", "Tablet"):
        assert sent[f"CloudFront-Is-{viewer}-Viewer"] == "false"
    assert sent["Via"].startswith("1.1 ") and sent["Via"].endswith(".cloudfront.net (CloudFront)")
    assert len(sent["X-Amz-Cf-Id"]) == 56
    again = event_of(gw, "/stage/x")["headers"]
    assert again["X-Amz-Cf-Id"] != sent["X-Amz-Cf-Id"] and again["Via"] == sent["Via"]


def test_rest_ids_deployment_and_response_headers():
    # Every event has requestContext.deploymentId and an extendedRequestId of its own;
    # every response carries x-amzn-RequestId and x-amz-apigw-id (observed: the
    # recording above, and test_aws_proxy_response_payload_format_validation's).
    gw, _ = gateway()
    event, response = send(gw, "/stage/x")
    ctx = event["requestContext"]
    assert len(ctx["deploymentId"]) == 6
    assert ctx["extendedRequestId"] != ctx["requestId"]
    assert len(ctx["extendedRequestId"]) == 16 and ctx["extendedRequestId"].endswith("=")
    assert list(ctx)[:3] == ["accountId", "apiId", "deploymentId"]
    assert response.header("x-amzn-RequestId") == ctx["requestId"]
    assert response.header("x-amz-apigw-id") == ctx["extendedRequestId"]
    missing: HttpResponse = asyncio.run(gw.handle(HttpRequest(method="GET", path="/stage")))
    assert missing.status == 403  # no resource at /: API Gateway's own error still has both
    assert missing.header("x-amzn-RequestId") and missing.header("x-amz-apigw-id")


def test_http_api_events_carry_forwarded_headers_lower_case():
    # The Lambda developer guide's HTTP API sample event
    # (sample-apps/nodejs-apig/event-v2.json): content-length kept, x-amzn-trace-id,
    # x-forwarded-for/-port/-proto added, a short requestId ("JKJaXmPLvHcESHA=").
    gw, _ = gateway("HTTP")
    headers = [("Content-Length", "2"), ("Connection", "keep-alive"), ("Authorization", "t")]
    event, response = send(gw, "/x", headers=headers, method="POST", body=b"{}")
    sent = event["headers"]
    assert sent["content-length"] == "2"
    assert "connection" not in sent
    assert sent["authorization"] == "t"
    assert sent["x-forwarded-for"] == "127.0.0.1"
    assert sent["x-forwarded-port"] == "3001" and sent["x-forwarded-proto"] == "http"
    assert sent["x-amzn-trace-id"].startswith("Root=1-")
    request_id = event["requestContext"]["requestId"]
    assert len(request_id) == 16 and request_id.endswith("=")
    assert response.header("apigw-requestid") == request_id
    assert "deploymentId" not in event["requestContext"]
    # A request without Content-Length (a GET) arrives with "content-length": "0".
    assert event_of(gw, "/x")["headers"]["content-length"] == "0"


class AuthorizingInvoker(EchoInvoker):
    """The authorizer function allows everything; others echo their event."""

    async def invoke(self, req: InvokeRequest) -> InvokeResult:
        if req.function != "authfn":
            return await super().invoke(req)
        self.requests.append(req)
        policy = {
            "principalId": "u",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": "*"}],
            },
        }
        return InvokeResult(200, "r", json.dumps(policy).encode())


def test_rest_request_authorizers_see_the_forwarded_request():
    # A REQUEST authorizer gets the request as the function would (AWS's sample
    # apiGatewayAuthorizerRequestEvent.json carries the CloudFront-* headers of an edge
    # API): canonical Authorization, the added headers, no Connection.
    spec = AuthorizerSpec(
        name="Req",
        type="REQUEST",
        function="authfn",
        identity_sources=("method.request.header.Authorization",),
    )
    route = RouteSpec(method="GET", path="/items/{id}", function="f", authorizer="Req")
    api = ApiSpec(
        logical_id="Api",
        stack_path=(),
        api_id="abc123defg",
        kind="REST",
        stage="stage",
        routes=(route,),
        authorizers={"Req": spec},
        endpoint_type="EDGE",
    )
    invoker = AuthorizingInvoker()
    gw = Gateway(api, invoker, port=3001)  # type: ignore[arg-type]
    headers = [("authorization", "tok"), ("Connection", "keep-alive")]
    event = event_of(gw, "/stage/items/a%2Bb", headers=headers)
    authorizer_event = json.loads(invoker.requests[0].payload)
    for seen in (authorizer_event["headers"], event["headers"]):
        assert seen["Authorization"] == "tok"
        assert "Connection" not in seen and "authorization" not in seen
        assert seen["X-Forwarded-For"] == "127.0.0.1" and "X-Amz-Cf-Id" in seen
    assert authorizer_event["pathParameters"] == {"id": "a%2Bb"}
    assert event["pathParameters"] == {"id": "a%2Bb"}
