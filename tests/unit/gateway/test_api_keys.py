"""API keys and usage plans: discovery from the template, keys, throttles, quotas, ordering."""

from __future__ import annotations

import asyncio
import calendar
from pathlib import Path
from typing import Any

from serverlite.gateway import errors
from serverlite.gateway.authorizers import api_key_lines, authorizer_warnings, build_authorizer
from serverlite.gateway.authorizers.api_keys import ApiKeys, quota_period
from serverlite.gateway.model import (
    ApiKeySpec,
    AuthorizerSpec,
    RouteSpec,
    ThrottleSpec,
    UsagePlanSpec,
)
from serverlite.gateway.usage_plans import generated_value, plans_for_api
from serverlite.template.model import Application, ResourceSpec, StackSpec
from tests.unit.gateway.authfakes import Clock, FakeInvoker, api_spec, auth_request

BASE = "arn:aws:execute-api:us-east-1:123456789012:abc123/Prod"


def utc(*parts: int) -> float:
    return float(calendar.timegm((*parts, 0, 0, 0, 0, 0, 0, 0, 0)[:9]))


def test_quota_periods() -> None:
    monday = utc(2024, 1, 1, 10)  # a Monday
    assert quota_period("DAY", 0, monday) == quota_period("DAY", 0, utc(2024, 1, 1, 23))
    assert quota_period("DAY", 0, monday) + 1 == quota_period("DAY", 0, utc(2024, 1, 2, 0))
    # WEEK, offset 0: weeks start on Sunday
    assert quota_period("WEEK", 0, utc(2023, 12, 31, 0)) == quota_period("WEEK", 0, monday)
    assert quota_period("WEEK", 0, utc(2023, 12, 30, 23)) != quota_period("WEEK", 0, monday)
    # offset 1: weeks start on Monday
    assert quota_period("WEEK", 1, utc(2023, 12, 31, 12)) != quota_period("WEEK", 1, monday)
    assert quota_period("WEEK", 1, utc(2024, 1, 7, 23)) == quota_period("WEEK", 1, monday)
    # MONTH, offset 14: months start on the 15th
    assert quota_period("MONTH", 0, utc(2024, 1, 31, 0)) != quota_period(
        "MONTH", 0, utc(2024, 2, 1, 0)
    )
    assert quota_period("MONTH", 14, utc(2024, 1, 31, 0)) == quota_period(
        "MONTH", 14, utc(2024, 2, 14, 0)
    )
    assert quota_period("MONTH", 14, utc(2024, 2, 14, 0)) != quota_period(
        "MONTH", 14, utc(2024, 2, 15, 0)
    )


def keyed_api(plan: UsagePlanSpec, source: str = "HEADER", authorizers: Any = None):  # type: ignore[no-untyped-def]
    route = RouteSpec(
        "GET", "/items/{id}", "fn", api_key_required=True, authorizer="Tok" if authorizers else None
    )
    return api_spec(
        "REST", authorizers, (route,), usage_plans=(plan,), api_key_source=source
    ), route


GOOD = ApiKeySpec("k1", "good-key-value-123456789", "Good")
OFF = ApiKeySpec("k2", "disabled-key-value-12345", "Off", enabled=False)


def test_keys_must_be_known_and_enabled() -> None:
    api, _ = keyed_api(UsagePlanSpec(plan_id="p", keys=(GOOD, OFF)))
    keys = ApiKeys(api, Clock())
    assert keys.identify(GOOD.value) is not None
    assert keys.identify(OFF.value) is None
    assert keys.identify("nope") is None
    assert keys.identify(None) is None


def test_per_key_throttle_and_quota() -> None:
    clock = Clock(utc(2024, 3, 1, 12))
    plan = UsagePlanSpec(
        throttle=ThrottleSpec(rate=1.0, burst=2),
        quota_limit=3,
        quota_period="DAY",
        plan_id="p",
        keys=(GOOD, ApiKeySpec("k3", "other-key-value-1234567", "Other")),
    )
    keys = ApiKeys(keyed_api(plan)[0], clock)
    good, other = keys.identify(GOOD.value), keys.identify("other-key-value-1234567")
    assert good is not None and other is not None
    assert keys.admit(good) is None
    assert keys.admit(good) is None
    assert keys.admit(good) == errors.THROTTLED  # burst spent
    assert keys.admit(other) is None  # each key has its own bucket
    clock.now += 1
    assert keys.admit(good) is None  # third of the day's three
    clock.now += 5
    assert keys.admit(good) == errors.QUOTA_EXCEEDED
    assert errors.QUOTA_EXCEEDED.body() == b'{"message":"Limit Exceeded"}'
    clock.now = utc(2024, 3, 2, 0)
    assert keys.admit(good) is None  # a new day


def authorize(authorizer: Any, api: Any, route: Any, **kw: Any) -> Any:
    return asyncio.run(authorizer.authorize(auth_request(api, route, **kw)))


def allow_policy(**extra: Any) -> dict[str, Any]:
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{BASE}/*"}
    return {"principalId": "p", "policyDocument": {"Statement": [statement]}, **extra}


TOKEN = {
    "Tok": AuthorizerSpec(
        "Tok",
        "TOKEN",
        function="authfn",
        identity_sources=("method.request.header.Authorization",),
        ttl_s=0,
    )
}


def test_header_keys_are_checked_before_the_authorizer_runs() -> None:
    invoker = FakeInvoker(allow_policy())
    api, route = keyed_api(UsagePlanSpec(plan_id="p", keys=(GOOD,)), authorizers=TOKEN)
    authorizer = build_authorizer(api, invoker, clock=Clock(), issuers={})
    hdr = [("Authorization", "t")]
    assert authorize(authorizer, api, route, headers=hdr).error == errors.FORBIDDEN
    bad = [*hdr, ("x-api-key", "wrong")]
    assert authorize(authorizer, api, route, headers=bad).error == errors.FORBIDDEN
    assert invoker.events == []
    ok = authorize(authorizer, api, route, headers=[*hdr, ("X-API-Key", GOOD.value)])
    assert ok.error is None and ok.context["principalId"] == "p"


def test_authorizer_key_source_uses_usage_identifier_key() -> None:
    plan = UsagePlanSpec(plan_id="p", keys=(GOOD,))
    api, route = keyed_api(plan, source="AUTHORIZER", authorizers=TOKEN)
    hdr = [("Authorization", "t")]
    granted = build_authorizer(
        api, FakeInvoker(allow_policy(usageIdentifierKey=GOOD.value)), clock=Clock(), issuers={}
    )
    assert authorize(granted, api, route, headers=hdr).error is None
    header_only = build_authorizer(api, FakeInvoker(allow_policy()), clock=Clock(), issuers={})
    refused = authorize(header_only, api, route, headers=[*hdr, ("x-api-key", GOOD.value)])
    assert refused.error == errors.FORBIDDEN


def test_open_routes_and_unknown_authorizers() -> None:
    route = RouteSpec("GET", "/x", "fn", authorizer="Missing")
    api = api_spec("REST", {}, (route,))
    authorizer = build_authorizer(api, FakeInvoker(), clock=Clock(), issuers={})
    assert authorize(authorizer, api, route).error == errors.AUTHORIZER_CONFIGURATION_ERROR
    open_route = RouteSpec("GET", "/y", "fn")
    assert authorize(authorizer, api, open_route).error is None


# -- discovery of plans and keys -------------------------------------------------------------


def resource(
    logical: str,
    type_: str,
    props: dict[str, Any],
    physical: str | None = None,
    path: tuple[str, ...] = (),
) -> ResourceSpec:
    return ResourceSpec(logical, path, type_, props, physical or logical)


def app_of(*resources: ResourceSpec) -> Application:
    stack = StackSpec("s", (), Path("template.yaml"), {}, (), (), tuple(resources), {})
    return Application(stack)


def test_sam_per_api_and_shared_plans() -> None:
    quota = {"Limit": 100, "Period": "WEEK", "Offset": 1}
    per_api = resource(
        "Orders",
        "AWS::Serverless::Api",
        {
            "Auth": {
                "UsagePlan": {
                    "CreateUsagePlan": "PER_API",
                    "Quota": quota,
                    "Throttle": {"RateLimit": 5, "BurstLimit": 10},
                }
            }
        },
        "ord1",
    )
    shared_a = resource(
        "A", "AWS::Serverless::Api", {"Auth": {"UsagePlan": {"CreateUsagePlan": "SHARED"}}}, "a1"
    )
    shared_b = resource(
        "B",
        "AWS::Serverless::Api",
        {"Auth": {"UsagePlan": {"CreateUsagePlan": "SHARED", "Quota": {"Limit": 7}}}},
        "b1",
    )
    app = app_of(per_api, shared_a, shared_b)
    (plan,) = plans_for_api(app, per_api, "Prod")
    assert plan.plan_id == "OrdersUsagePlan"
    assert plan.quota_limit == 100 and plan.quota_period == "WEEK" and plan.quota_offset == 1
    assert plan.throttle == ThrottleSpec(5.0, 10)
    (key,) = plan.keys
    assert key.name == "OrdersApiKey" and key.generated and key.enabled
    assert key.value == generated_value((), "OrdersApiKey") and len(key.value) == 40
    (plan_a,) = plans_for_api(app, shared_a, "Prod")
    (plan_b,) = plans_for_api(app, shared_b, "Prod")
    assert plan_a.plan_id == plan_b.plan_id == "ServerlessUsagePlan"
    assert plan_a.keys == plan_b.keys
    assert plan_a.quota_limit == 7  # the one API that configures the shared plan


def test_declared_plans_keys_and_links() -> None:
    api = resource("Api", "AWS::Serverless::Api", {}, "api1")
    app = app_of(
        api,
        resource(
            "Plan",
            "AWS::ApiGateway::UsagePlan",
            {
                "ApiStages": [{"ApiId": "api1", "Stage": "dev"}],
                "Throttle": {"RateLimit": 2, "BurstLimit": 4},
                "Quota": {"Limit": 10, "Period": "DAY"},
            },
        ),
        resource(
            "OtherPlan",
            "AWS::ApiGateway::UsagePlan",
            {"ApiStages": [{"ApiId": "api1", "Stage": "prod"}]},
        ),
        resource(
            "Key",
            "AWS::ApiGateway::ApiKey",
            {"Value": "declared-key-value-000001", "Enabled": True, "Name": "partner"},
        ),
        resource("Silent", "AWS::ApiGateway::ApiKey", {}),
        resource(
            "Link1",
            "AWS::ApiGateway::UsagePlanKey",
            {"KeyId": "Key", "KeyType": "API_KEY", "UsagePlanId": "Plan"},
        ),
        resource(
            "Link2",
            "AWS::ApiGateway::UsagePlanKey",
            {"KeyId": "Silent", "KeyType": "API_KEY", "UsagePlanId": "Plan"},
        ),
    )
    (plan,) = plans_for_api(app, api, "dev")
    assert plan.plan_id == "Plan" and plan.quota_limit == 10
    declared, silent = plan.keys
    assert declared.value == "declared-key-value-000001" and declared.enabled
    assert declared.name == "partner"
    assert silent.generated and not silent.enabled  # CreateApiKey: enabled defaults to false
    spec = api_spec("REST", usage_plans=(plan,))
    lines = api_key_lines(spec)
    assert lines[0] == "API key partner for Api: declared-key-value-000001"
    assert "(generated, disabled: Enabled is not true)" in lines[1]


def test_startup_warns_about_issuers_off_this_machine() -> None:
    pool = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_P"
    api = api_spec(
        "REST",
        {
            "Pool": AuthorizerSpec("Pool", "COGNITO", user_pool_arns=(pool,)),
        },
    )
    (warning,) = authorizer_warnings(api, {})
    assert "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_P" in warning
    assert "SERVERLITE_JWT_ISSUERS" in warning
    mapped = {"https://cognito-idp.us-east-1.amazonaws.com/us-east-1_P": "http://127.0.0.1:1"}
    assert authorizer_warnings(api, mapped) == []
    local = api_spec("HTTP", {"J": AuthorizerSpec("J", "JWT", issuer="http://127.0.0.1:5/")})
    assert authorizer_warnings(local, {}) == []
