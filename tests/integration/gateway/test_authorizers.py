"""Authorizers over real HTTP: `serverlite up` with Lambda (TOKEN, REQUEST, HTTP API),
JWT and Cognito authorizers and API keys, and a JWKS server this test runs on loopback.

Every refused request is checked not to have reached the function: the protected
function appends a line to a marker file per invocation.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventModel,
    APIGatewayProxyEventV2Model,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.integration.conftest import FIXTURES, Server, json_documents, start_server
from tests.unit.gateway.authfakes import hmac_token

pytestmark = pytest.mark.integration

POOL_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool"


@dataclass
class Issuer:
    """A JWKS server on 127.0.0.1: an OpenID issuer at / and a Cognito pool at /cognito."""

    base: str
    rsa_key: Any
    ec_key: Any

    def jwt(self, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.base,
            "sub": "u-1",
            "aud": "serverlite-tests",
            "exp": now + 600,
            "iat": now,
            **claims,
        }
        return jwt.encode(body, self.rsa_key, algorithm="RS256", headers={"kid": "rsa-1"})

    def cognito(self, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": POOL_ISSUER,
            "sub": "c-1",
            "aud": "app-client",
            "token_use": "id",
            "cognito:groups": ["admins", "users"],
            "email_verified": True,
            "exp": now + 600,
            "iat": now,
            **claims,
        }
        return jwt.encode(body, self.ec_key, algorithm="ES256", headers={"kid": "ec-1"})

    def rsa_public_pem(self) -> bytes:
        return self.rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_jwk = {
        **RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True),
        "kid": "rsa-1",
        "alg": "RS256",
        "use": "sig",
    }
    ec_jwk = {**ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "ec-1", "use": "sig"}

    def documents(base: str) -> dict[str, Any]:
        return {
            "/.well-known/openid-configuration": {"issuer": base, "jwks_uri": f"{base}/keys"},
            "/keys": {"keys": [rsa_jwk]},
            "/cognito/.well-known/jwks.json": {"keys": [ec_jwk]},
        }

    with json_documents(documents) as base:
        yield Issuer(base, rsa_key, ec_key)


@dataclass
class Apis:
    server: Server
    http: str  # HttpApi's base URL
    rest: str  # RestApi's base URL (stage dev)
    markers: Path
    generated_key: str

    def invocations(self, name: str = "protected") -> list[str]:
        path = self.markers / f"{name}.log"
        return path.read_text().splitlines() if path.exists() else []


@pytest.fixture(scope="module")
def apis(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Apis]:
    root = tmp_path_factory.mktemp("authz")
    issuers = json.dumps({POOL_ISSUER: f"{issuer.base}/cognito"})
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SERVERLITE_JWT_ISSUERS", issuers)
        server = start_server(
            FIXTURES / "authorizers" / "template.yaml",
            root / "state",
            "--port",
            "0",
            "--parameter-overrides",
            f"MarkerDir={root / 'markers'} JwtIssuer={issuer.base}",
        )
    try:
        found = re.search(
            r"API key RestApiApiKey for RestApi: (\w+) \(generated\)", server.output()
        )
        assert found, server.output()
        yield Apis(
            server,
            server.api_base("HttpApi"),
            f"{server.api_base('RestApi')}/dev",
            root / "markers",
            found.group(1),
        )
    finally:
        server.stop()


@pytest.fixture(scope="module")
def client(apis: Apis) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http


# -- REST: Lambda TOKEN ---------------------------------------------------------------------


def test_token_allow_passes_the_context_flattened(apis: Apis, client: httpx.Client) -> None:
    response = client.get(f"{apis.rest}/token", headers={"Authorization": "allow"})
    assert response.status_code == 200, response.text
    event = response.json()
    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "user-1"
    assert authorizer["tenant"] == "acme"
    assert authorizer["count"] == "7"
    assert authorizer["admin"] == "true"
    assert isinstance(authorizer["integrationLatency"], int)
    APIGatewayProxyEventModel.model_validate(event)


def test_token_refusals_never_reach_the_function(apis: Apis, client: httpx.Client) -> None:
    calls, auth_calls = len(apis.invocations()), len(apis.invocations("token-auth"))
    unauthorized = b'{"message":"Unauthorized"}'
    missing = client.get(f"{apis.rest}/token")
    assert (missing.status_code, missing.content) == (401, unauthorized)
    assert missing.headers["x-amzn-ErrorType"] == "UnauthorizedException"
    not_matching = client.get(f"{apis.rest}/token", headers={"Authorization": "Allow-1"})
    assert (not_matching.status_code, not_matching.content) == (401, unauthorized)
    assert len(apis.invocations("token-auth")) == auth_calls  # the authorizer never ran
    deny = client.get(f"{apis.rest}/token", headers={"Authorization": "deny"})
    assert deny.status_code == 403
    assert deny.content == (
        b'{"message":"User is not authorized to access this resource with an explicit deny"}'
    )
    raised = client.get(f"{apis.rest}/token", headers={"Authorization": "unauthorized"})
    assert (raised.status_code, raised.content) == (401, unauthorized)
    for token in ("crash", "garbage"):
        broken = client.get(f"{apis.rest}/token", headers={"Authorization": token})
        assert (broken.status_code, broken.content) == (500, b'{"message":null}')
        assert broken.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
    assert len(apis.invocations()) == calls


def test_cached_policy_is_evaluated_per_method(apis: Apis, client: httpx.Client) -> None:
    calls = len(apis.invocations())
    before = [json.loads(x) for x in apis.invocations("token-auth")]
    headers = {"Authorization": "scoped"}
    assert client.get(f"{apis.rest}/token", headers=headers).status_code == 200
    other = client.get(f"{apis.rest}/token/other", headers=headers)
    assert other.status_code == 403
    assert other.content == b'{"message":"User is not authorized to access this resource"}'
    assert client.get(f"{apis.rest}/token", headers=headers).status_code == 200
    after = [json.loads(x) for x in apis.invocations("token-auth")]
    scoped = [e for e in after[len(before) :] if e["authorizationToken"] == "scoped"]
    assert len(scoped) == 1  # ReauthorizeEvery: 300, keyed by the token
    assert scoped[0]["type"] == "TOKEN"
    assert re.fullmatch(
        r"arn:aws:execute-api:[\w-]+:\d{12}:\w+/dev/GET/token", scoped[0]["methodArn"]
    )
    assert len(apis.invocations()) == calls + 2


# -- REST: Lambda REQUEST --------------------------------------------------------------------


def test_request_authorizer(apis: Apis, client: httpx.Client) -> None:
    calls, auth_calls = len(apis.invocations()), len(apis.invocations("request-auth"))
    missing = client.get(f"{apis.rest}/request", params={"tenant": "t1"})
    assert (missing.status_code, missing.content) == (401, b'{"message":"Unauthorized"}')
    no_query = client.get(f"{apis.rest}/request", headers={"X-User": "ann"})
    assert no_query.status_code == 401
    assert len(apis.invocations("request-auth")) == auth_calls
    ok = client.get(f"{apis.rest}/request", headers={"X-User": "ann"}, params={"tenant": "t1"})
    assert ok.status_code == 200, ok.text
    authorizer = ok.json()["requestContext"]["authorizer"]
    assert (authorizer["principalId"], authorizer["user"], authorizer["tenant"]) == (
        "ann",
        "ann",
        "t1",
    )
    event = json.loads(apis.invocations("request-auth")[-1])
    assert event["type"] == "REQUEST"
    assert event["queryStringParameters"] == {"tenant": "t1"}
    assert event["methodArn"].endswith("/dev/GET/request")
    denied = client.get(
        f"{apis.rest}/request", headers={"X-User": "mallory"}, params={"tenant": "t1"}
    )
    assert denied.status_code == 403
    assert len(apis.invocations()) == calls + 1


# -- REST: Cognito ---------------------------------------------------------------------------


def test_cognito_authorizer(apis: Apis, issuer: Issuer, client: httpx.Client) -> None:
    calls = len(apis.invocations())
    ok = client.get(f"{apis.rest}/cognito", headers={"Authorization": issuer.cognito()})
    assert ok.status_code == 200, ok.text
    event = ok.json()
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["sub"] == "c-1"
    assert claims["cognito:groups"] == "admins,users"
    assert claims["email_verified"] == "true"
    assert re.fullmatch(r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}", claims["exp"])
    APIGatewayProxyEventModel.model_validate(event)
    bearer = client.get(
        f"{apis.rest}/cognito", headers={"Authorization": f"Bearer {issuer.cognito()}"}
    )
    assert bearer.status_code == 200
    header, _, signature = issuer.cognito().split(".")
    tampered_body = issuer.cognito(sub="admin").split(".")[1]
    for token in (
        f"{header}.{tampered_body}.{signature}",
        issuer.cognito(exp=int(time.time()) - 5),
        issuer.cognito(iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"),
        issuer.jwt(),  # signed by a key the pool does not have
    ):
        response = client.get(f"{apis.rest}/cognito", headers={"Authorization": token})
        assert (response.status_code, response.content) == (401, b'{"message":"Unauthorized"}')
    assert len(apis.invocations()) == calls + 2


# -- REST: API keys and usage plans ----------------------------------------------------------------


def test_api_keys_throttle_and_quota(apis: Apis, client: httpx.Client) -> None:
    assert re.fullmatch(r"[A-Za-z0-9]{40}", apis.generated_key)
    calls = len(apis.invocations())
    forbidden = b'{"message":"Forbidden"}'
    for headers in ({}, {"x-api-key": "not-a-key"}):
        response = client.get(f"{apis.rest}/keyed", headers=headers)
        assert (response.status_code, response.content) == (403, forbidden)
    assert len(apis.invocations()) == calls
    # the PER_API plan: burst 2, then 429 Too Many Requests
    key = {"x-api-key": apis.generated_key}
    ok = client.get(f"{apis.rest}/keyed", headers=key)
    assert ok.status_code == 200, ok.text
    assert ok.json()["requestContext"]["identity"]["apiKey"] == apis.generated_key
    assert client.get(f"{apis.rest}/keyed", headers=key).status_code == 200
    throttled = client.get(f"{apis.rest}/keyed", headers=key)
    assert (throttled.status_code, throttled.content) == (429, b'{"message":"Too Many Requests"}')
    # the declared plan: a quota of 3 a day, then 429 Limit Exceeded
    partner = {"x-api-key": "partner-key-0123456789abcdef"}
    for _ in range(3):
        assert client.get(f"{apis.rest}/keyed", headers=partner).status_code == 200
    over = client.get(f"{apis.rest}/keyed", headers=partner)
    assert (over.status_code, over.content) == (429, b'{"message":"Limit Exceeded"}')
    assert len(apis.invocations()) == calls + 5


# -- HTTP API: Lambda (simple responses) ------------------------------------------------


def test_http_lambda_authorizer(apis: Apis, client: httpx.Client) -> None:
    calls = len(apis.invocations())
    ok = client.get(f"{apis.http}/lambda", headers={"Authorization": "letmein"})
    assert ok.status_code == 200, ok.text
    event = ok.json()
    assert event["requestContext"]["authorizer"] == {"lambda": {"who": "http", "level": 3}}
    APIGatewayProxyEventV2Model.model_validate(event)
    auth_event = json.loads(apis.invocations("http-auth")[-1])
    assert (auth_event["version"], auth_event["type"]) == ("2.0", "REQUEST")
    assert auth_event["identitySource"] == ["letmein"]
    assert auth_event["routeArn"].endswith("/$default/GET/lambda")
    denied = client.get(f"{apis.http}/lambda", headers={"Authorization": "nope"})
    assert (denied.status_code, denied.content) == (403, b'{"message":"Forbidden"}')
    missing = client.get(f"{apis.http}/lambda")
    assert (missing.status_code, missing.content) == (401, b'{"message":"Unauthorized"}')
    assert len(apis.invocations()) == calls + 1


# -- HTTP API: JWT ---------------------------------------------------------------------


def test_jwt_authorizer(apis: Apis, issuer: Issuer, client: httpx.Client) -> None:
    calls = len(apis.invocations())
    token = issuer.jwt(scope="orders/read profile", groups=["a", "b"])
    ok = client.get(f"{apis.http}/jwt", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200, ok.text
    event = ok.json()
    jwt_context = event["requestContext"]["authorizer"]["jwt"]
    assert jwt_context["claims"]["sub"] == "u-1"
    assert jwt_context["claims"]["groups"] == "[a b]"
    assert jwt_context["scopes"] == ["orders/read", "profile"]
    APIGatewayProxyEventV2Model.model_validate(event)
    assert (
        client.get(f"{apis.http}/jwt/scoped", headers={"Authorization": token}).status_code == 200
    )

    wrong_aud = client.get(f"{apis.http}/jwt", headers={"Authorization": issuer.jwt(aud="x")})
    assert (wrong_aud.status_code, wrong_aud.content) == (401, b'{"message":"Unauthorized"}')
    assert wrong_aud.headers["www-authenticate"] == (
        'Bearer scope="" error="invalid_token" '
        'error_description="the token does not have a valid audience"'
    )
    expired = issuer.jwt(exp=int(time.time()) - 1)
    response = client.get(f"{apis.http}/jwt", headers={"Authorization": expired})
    assert response.status_code == 401
    assert 'error_description="the token has expired"' in response.headers["www-authenticate"]
    confused = hmac_token(
        {"iss": issuer.base, "aud": "serverlite-tests", "exp": int(time.time()) + 60},
        issuer.rsa_public_pem(),
        "rsa-1",
    )
    assert client.get(f"{apis.http}/jwt", headers={"Authorization": confused}).status_code == 401
    assert client.get(f"{apis.http}/jwt").status_code == 401
    unscoped = issuer.jwt(scope="profile")
    scoped = client.get(f"{apis.http}/jwt/scoped", headers={"Authorization": unscoped})
    assert (scoped.status_code, scoped.content) == (403, b'{"message":"Forbidden"}')
    assert len(apis.invocations()) == calls + 2
