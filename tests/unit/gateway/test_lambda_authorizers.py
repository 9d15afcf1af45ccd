"""Lambda authorizers (REST TOKEN / REQUEST, HTTP API 1.0 / 2.0) against a fake invoker."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    ApiGatewayAuthorizerRequest,
    ApiGatewayAuthorizerRequestV2,
    ApiGatewayAuthorizerToken,
)

from serverlite.gateway import errors
from serverlite.gateway.authorizers.lambda_authorizer import LambdaAuthorizer
from serverlite.gateway.model import AuthorizerSpec, RouteSpec
from tests.aws_samples import aws_sample
from tests.unit.gateway.authfakes import Clock, FakeInvoker, api_spec, auth_request

BASE = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod"


def allow(resource: str = f"{BASE}/*", effect: str = "Allow", **extra: Any) -> dict[str, Any]:
    return {
        "principalId": "user-7",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
        **extra,
    }


def token_spec(**fields: Any) -> AuthorizerSpec:
    return AuthorizerSpec(
        name="Tok",
        type="TOKEN",
        function="authfn",
        identity_sources=("method.request.header.Authorization",),
        **fields,
    )


def setup(
    spec: AuthorizerSpec, invoker: FakeInvoker, kind: str = "REST", clock: Clock | None = None
):  # type: ignore[no-untyped-def]
    route = RouteSpec(
        "GET",
        "/items/{id}",
        "fn",
        authorizer=spec.name,
        payload_version="1.0" if kind == "REST" else "2.0",
    )
    api = api_spec(kind, {spec.name: spec}, (route,), stage_variables={"tier": "gold"})
    return api, route, LambdaAuthorizer(spec, kind, invoker, clock or Clock())  # type: ignore[arg-type]


def run(authorizer: LambdaAuthorizer, api: Any, route: Any, **kw: Any) -> Any:
    return asyncio.run(authorizer.check(auth_request(api, route, **kw)))


# -- REST TOKEN -------------------------------------------------------------------------------


def test_token_event_and_flattened_context() -> None:
    invoker = FakeInvoker(allow(context={"tenant": "t1", "n": 3, "admin": True}))
    api, route, authorizer = setup(token_spec(), invoker)
    decision = run(authorizer, api, route, headers=[("Authorization", "Bearer abc")])
    assert decision.result.error is None
    assert invoker.events == [
        {"type": "TOKEN", "authorizationToken": "Bearer abc", "methodArn": f"{BASE}/GET/items/42"}
    ]
    ApiGatewayAuthorizerToken.model_validate(invoker.events[0])
    assert invoker.functions == ["authfn"]
    context = decision.result.context
    assert context["principalId"] == "user-7"
    assert context["tenant"] == "t1"
    assert context["n"] == "3"  # REST stringifies context values
    assert context["admin"] == "true"
    assert isinstance(context["integrationLatency"], int)


def test_token_missing_or_not_matching_the_expression_is_401_without_invoking() -> None:
    invoker = FakeInvoker(allow())
    api, route, authorizer = setup(token_spec(validation_regex=r"Bearer [a-z]+"), invoker)
    assert run(authorizer, api, route).result.error == errors.UNAUTHORIZED
    bad = run(authorizer, api, route, headers=[("Authorization", "Bearer ABC")])
    assert bad.result.error == errors.UNAUTHORIZED
    partial = run(authorizer, api, route, headers=[("Authorization", "Bearer abc!")])
    assert partial.result.error == errors.UNAUTHORIZED  # the whole token must match
    assert invoker.events == []
    assert (
        run(authorizer, api, route, headers=[("authorization", "Bearer abc")]).result.error is None
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (allow(effect="Deny"), errors.EXPLICIT_DENY),
        (allow(resource=f"{BASE}/POST/*"), errors.IMPLICIT_DENY),
        ({"principalId": "x"}, errors.AUTHORIZER_CONFIGURATION_ERROR),
        ("not an object", errors.AUTHORIZER_CONFIGURATION_ERROR),
        (b"{not json", errors.AUTHORIZER_CONFIGURATION_ERROR),
        (allow(context={"nested": {"a": 1}}), errors.AUTHORIZER_CONFIGURATION_ERROR),
        (allow(context={"list": [1]}), errors.AUTHORIZER_CONFIGURATION_ERROR),
        (allow(context={"nothing": None}), errors.AUTHORIZER_CONFIGURATION_ERROR),
    ],
)
def test_policy_outcomes(answer: Any, expected: errors.GatewayError) -> None:
    api, route, authorizer = setup(token_spec(), FakeInvoker(answer))
    decision = run(authorizer, api, route, headers=[("Authorization", "t")])
    assert decision.result.error == expected


def test_errors_unauthorized_is_401_anything_else_500() -> None:
    api, route, authorizer = setup(token_spec(), FakeInvoker(error="Unauthorized"))
    assert run(authorizer, api, route, headers=[("Authorization", "t")]).result.error == (
        errors.UNAUTHORIZED
    )
    api, route, authorizer = setup(token_spec(), FakeInvoker(error="boom"))
    failed = run(authorizer, api, route, headers=[("Authorization", "t")]).result.error
    assert failed == errors.AUTHORIZER_CONFIGURATION_ERROR
    assert failed.status == 500
    assert failed.body() == b'{"message":null}'
    assert failed.error_type == "AuthorizerConfigurationException"


def test_cache_by_token_with_ttl_and_policy_reevaluated_per_method() -> None:
    clock = Clock()
    invoker = FakeInvoker(allow(resource=f"{BASE}/GET/items/*"))
    api, route, authorizer = setup(token_spec(ttl_s=300), invoker, clock=clock)
    hdr = [("Authorization", "tok-1")]
    assert run(authorizer, api, route, headers=hdr).result.error is None
    cached = run(authorizer, api, route, headers=hdr).result
    assert cached.error is None and cached.context["integrationLatency"] == 0
    # the cached policy is evaluated against this request's own method ARN
    denied = run(authorizer, api, route, headers=hdr, method="DELETE").result
    assert denied.error == errors.IMPLICIT_DENY
    assert len(invoker.events) == 1
    run(authorizer, api, route, headers=[("Authorization", "tok-2")])
    assert len(invoker.events) == 2
    clock.now += 300
    run(authorizer, api, route, headers=hdr)
    assert len(invoker.events) == 3


def test_ttl_zero_disables_caching_and_errors_are_not_cached() -> None:
    invoker = FakeInvoker(allow())
    api, route, authorizer = setup(token_spec(ttl_s=0), invoker)
    for _ in range(3):
        run(authorizer, api, route, headers=[("Authorization", "t")])
    assert len(invoker.events) == 3
    flaky = FakeInvoker(error="Unauthorized")
    api, route, authorizer = setup(token_spec(ttl_s=300), flaky)
    run(authorizer, api, route, headers=[("Authorization", "t")])
    run(authorizer, api, route, headers=[("Authorization", "t")])
    assert len(flaky.events) == 2


# -- REST REQUEST ----------------------------------------------------------------------------


def request_spec(**fields: Any) -> AuthorizerSpec:
    return AuthorizerSpec(
        name="Req",
        type="REQUEST",
        function="authfn",
        identity_sources=(
            "method.request.header.X-User",
            "method.request.querystring.tenant",
            "stageVariables.tier",
            "context.httpMethod",
        ),
        **fields,
    )


def test_request_event_shape_matches_aws() -> None:
    invoker = FakeInvoker(allow(usageIdentifierKey="key-1"))
    api, route, authorizer = setup(request_spec(), invoker)
    decision = run(
        authorizer, api, route, headers=[("X-User", "ann"), ("Host", "x")], query="tenant=t9"
    )
    assert decision.result.error is None
    assert decision.usage_key == "key-1"
    event = invoker.events[0]
    sample = aws_sample("apiGatewayAuthorizerRequestEvent.json")
    # REST sends no version / identitySource / authorizationToken (HTTP 1.0 does)
    assert set(event) == set(sample) - {"version", "identitySource", "authorizationToken"} | {
        "multiValueQueryStringParameters"
    }
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == f"{BASE}/GET/items/42"
    assert event["headers"]["X-User"] == "ann"
    assert event["queryStringParameters"] == {"tenant": "t9"}
    assert event["stageVariables"] == {"tier": "gold"}
    assert "body" not in event
    ApiGatewayAuthorizerRequest.model_validate(event)


def test_request_missing_identity_source_is_401_without_invoking() -> None:
    invoker = FakeInvoker(allow())
    api, route, authorizer = setup(request_spec(), invoker)
    assert run(authorizer, api, route, query="tenant=t9").result.error == errors.UNAUTHORIZED
    empty = run(authorizer, api, route, headers=[("X-User", "")], query="tenant=t9")
    assert empty.result.error == errors.UNAUTHORIZED
    assert run(authorizer, api, route, headers=[("X-User", "a")]).result.error == (
        errors.UNAUTHORIZED
    )
    assert invoker.events == []
    # The twin: with every identity source present, the authorizer is invoked.
    whole = run(authorizer, api, route, headers=[("X-User", "a")], query="tenant=t9")
    assert whole.result.error is None
    assert len(invoker.events) == 1


def test_request_cache_keyed_by_all_identity_values() -> None:
    invoker = FakeInvoker(allow())
    api, route, authorizer = setup(request_spec(ttl_s=60), invoker)
    for user, tenant in (("a", "1"), ("a", "1"), ("a", "2"), ("b", "1"), ("a", "1")):
        run(authorizer, api, route, headers=[("X-User", user)], query=f"tenant={tenant}")
    assert len(invoker.events) == 3


# -- HTTP APIs ----------------------------------------------------------------------------------


def http_spec(version: str = "2.0", simple: bool = True, **fields: Any) -> AuthorizerSpec:
    return AuthorizerSpec(
        name="Lam",
        type="REQUEST",
        function="authfn",
        identity_sources=("$request.header.Authorization", "$request.querystring.ver"),
        payload_version=version,
        simple_responses=simple,
        ttl_s=fields.pop("ttl_s", 0),
        **fields,
    )


def test_http_v2_simple_responses() -> None:
    invoker = FakeInvoker({"isAuthorized": True, "context": {"tenant": "t1", "n": 2}})
    api, route, authorizer = setup(http_spec(), invoker, kind="HTTP")
    headers = [("Authorization", "tok"), ("Cookie", "a=1")]
    decision = run(
        authorizer, api, route, headers=headers, query="ver=3", path_parameters={"id": "42"}
    )
    assert decision.result.error is None
    assert decision.result.context == {"lambda": {"tenant": "t1", "n": 2}}
    event = invoker.events[0]
    sample = aws_sample("apiGatewayAuthorizerV2Event.json")
    assert list(event)[:4] == ["version", "type", "routeArn", "identitySource"]
    assert set(event) == set(sample)
    # requestContext.authentication carries the client certificate: AWS sends it only
    # for mutual TLS on a custom domain, which serverlite does not serve.
    assert set(event["requestContext"]) == set(sample["requestContext"]) - {"authentication"}
    assert set(event["requestContext"]["http"]) == set(sample["requestContext"]["http"])
    assert event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] == {"tier": "gold"}
    assert event["queryStringParameters"] == {"ver": "3"}
    assert event["rawQueryString"] == "ver=3"
    assert event["identitySource"] == ["tok", "3"]
    assert (
        event["routeArn"]
        == "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/items/42"
    )
    assert event["cookies"] == ["a=1"]
    ApiGatewayAuthorizerRequestV2.model_validate(event)

    denied = FakeInvoker({"isAuthorized": False})
    api, route, authorizer = setup(http_spec(), denied, kind="HTTP")
    result = run(authorizer, api, route, headers=headers, query="ver=3").result
    assert result.error == errors.FORBIDDEN
    assert result.error.body() == b'{"message":"Forbidden"}'


def test_http_missing_identity_is_401_and_errors_500() -> None:
    invoker = FakeInvoker({"isAuthorized": True})
    api, route, authorizer = setup(http_spec(), invoker, kind="HTTP")
    assert run(authorizer, api, route, query="ver=3").result.error == errors.UNAUTHORIZED
    assert invoker.events == []
    whole = run(authorizer, api, route, headers=[("Authorization", "t")], query="ver=3")
    assert whole.result.error is None  # the twin: with both sources, it is invoked
    assert len(invoker.events) == 1
    for answer in ({"isAuthorized": "yes"}, ["x"], allow()):
        api, route, authorizer = setup(http_spec(), FakeInvoker(answer), kind="HTTP")
        result = run(authorizer, api, route, headers=[("Authorization", "t")], query="ver=1")
        assert result.result.error == errors.HTTP_INTEGRATION_FAILED
        assert result.result.error.body() == b'{"message":"Internal Server Error"}'


def test_http_iam_policy_responses_and_v1_event() -> None:
    arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/GET/items/*"
    invoker = FakeInvoker(allow(resource=arn, context={"who": "me"}))
    api, route, authorizer = setup(http_spec("1.0", simple=False), invoker, kind="HTTP")
    hdr = [("Authorization", "tok")]
    decision = run(authorizer, api, route, headers=hdr, query="ver=1")
    assert decision.result.context == {"lambda": {"who": "me"}}
    event = invoker.events[0]
    assert event["version"] == "1.0"
    assert event["identitySource"] == "tok,1"
    assert event["authorizationToken"] == "tok,1"
    assert event["methodArn"].endswith("/$default/GET/items/42")
    denied = run(authorizer, api, route, headers=hdr, query="ver=1", method="POST").result
    assert denied.error == errors.FORBIDDEN


def test_http_cache_when_ttl_and_identity_sources() -> None:
    invoker = FakeInvoker({"isAuthorized": True})
    api, route, authorizer = setup(http_spec(ttl_s=30), invoker, kind="HTTP")
    for _ in range(3):
        run(authorizer, api, route, headers=[("Authorization", "t")], query="ver=1")
    assert len(invoker.events) == 1
    spec = AuthorizerSpec(
        name="Lam",
        type="REQUEST",
        function="authfn",
        ttl_s=30,
        payload_version="2.0",
        simple_responses=True,
    )
    api, route, authorizer = setup(spec, invoker, kind="HTTP")
    for _ in range(2):
        assert run(authorizer, api, route).result.error is None  # no sources: no cache
    assert len(invoker.events) == 3
