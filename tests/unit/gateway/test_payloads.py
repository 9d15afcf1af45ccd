"""Events built from plain requests validate against Powertools' parser models."""

import json
from dataclasses import replace
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    APIGatewayProxyEventV2Model,
)

from serverlite import fastjson
from serverlite.gateway.http import HttpRequest
from serverlite.gateway.model import ApiSpec, RouteSpec
from serverlite.gateway.payloads import (
    EventContext,
    build_v1,
    build_v2,
    is_text,
    media_type_matches,
)


def ctx(kind, stage, path, route_path, params=None):
    route = RouteSpec(
        method="POST",
        path=route_path,
        function="f",
        payload_version="1.0" if kind == "REST" else "2.0",
    )
    api = ApiSpec(
        logical_id="Api",
        stack_path=(),
        api_id="abc123defg",
        kind=kind,
        stage=stage,
        routes=(route,),
        binary_media_types=("image/*",),
    )
    return EventContext(
        api=api,
        route=route,
        path=path,
        path_parameters=params or {},
        request_id="rid",
        account_id="123456789012",
        region="us-east-1",
        now=1_700_000_000.0,
    )


REQUEST = HttpRequest(
    method="POST",
    path="/prod/users/u%201",
    query="a=1&a=2&b=",
    headers=[
        ("Host", "abc.example"),
        ("Cookie", "x=1; y=2"),
        ("Content-Type", "application/json"),
        ("X-A", "1"),
        ("X-A", "2"),
    ],
    body=b'{"k": 1}',
)


def test_v1_event_validates_and_keeps_stage_in_context_path():
    event = build_v1(REQUEST, ctx("REST", "prod", "/users/u%201", "/users/{id}", {"id": "u 1"}))
    APIGatewayProxyEventModel.model_validate(event)
    assert event["path"] == "/users/u%201"  # REST: as sent
    assert event["requestContext"]["path"] == "/prod/users/u%201"
    assert event["pathParameters"] == {"id": "u 1"}
    assert event["requestContext"]["requestTime"] == "14/Nov/2023:22:13:20 +0000"
    assert event["requestContext"]["requestTimeEpoch"] == 1_700_000_000_000
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["headers"]["X-A"] == "2"
    assert event["body"] == '{"k": 1}'
    assert "version" not in event


def test_v2_event_validates():
    event = build_v2(REQUEST, ctx("HTTP", "prod", "/users/u 1", "/users/{id}", {"id": "u 1"}))
    APIGatewayProxyEventV2Model.model_validate(event)
    assert event["rawPath"] == "/prod/users/u 1"  # HTTP APIs decode the path
    assert event["requestContext"]["http"]["path"] == "/prod/users/u 1"
    assert event["cookies"] == ["x=1", "y=2"]
    assert event["headers"]["x-a"] == "1,2"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["routeKey"] == "POST /users/{id}"
    assert event["requestContext"]["time"] == "14/Nov/2023:22:13:20 +0000"


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (a tuple is no list)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


AUTHORIZER_CONTEXTS = [
    None,
    {"claims": {"sub": "u1", "iat": "1700000000"}, "scopes": ["read", "write"]},
    {"jwt": {"claims": {"sub": "u1"}, "scopes": None}},
    {"lambda": {"n": 1, "ok": True, "f": 1.5, "s": "x"}},
    {"principalId": "me", "integrationLatency": 3, "tenant": "t"},
]


@pytest.mark.parametrize("authorizer", AUTHORIZER_CONTEXTS)
@pytest.mark.parametrize("kind", ["REST", "HTTP"])
def test_events_reach_the_function_exactly_as_the_stdlib_json_would_bring_them(kind, authorizer):
    # The gateway ships its events to the environment as orjson writes them: the function
    # reads the values the stdlib's JSON of the same event would give it.
    context = replace(ctx(kind, "prod", "/users/u 1", "/users/{id}"), authorizer=authorizer)
    build = build_v1 if kind == "REST" else build_v2
    binary = replace(REQUEST, body=b"\xff\x00\x80", headers=[("Content-Type", "image/png")])
    for request in (REQUEST, binary):
        event = build(request, context)
        assert _same(json.loads(fastjson.dumps(event)), json.loads(json.dumps(event)))


def test_media_types():
    assert is_text("application/json; charset=utf-8")
    assert is_text("application/vnd.api+json")
    assert is_text(None)
    assert not is_text("image/png")
    assert media_type_matches("image/png", ("image/*",))
    assert media_type_matches("anything/x", ("*/*",))
    assert not media_type_matches("text/plain", ("image/*",))
