"""JWT verification, JWKS fetching, and the JWT (HTTP API) and Cognito (REST) authorizers.

Keys are generated in memory; the issuer's JWKS is served by a fake http_get.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from serverlite.errors import ConfigError
from serverlite.gateway import errors
from serverlite.gateway.authorizers.claims import cognito_claims, http_claims
from serverlite.gateway.authorizers.cognito import CognitoAuthorizer
from serverlite.gateway.authorizers.issuers import (
    IssuerDirectory,
    cognito_issuer,
    issuers_from_env,
)
from serverlite.gateway.authorizers.jwks import JwksClient
from serverlite.gateway.authorizers.jwt_authorizer import JwtAuthorizer
from serverlite.gateway.authorizers.jwt_verify import TokenError, verify
from serverlite.gateway.authorizers.loopback import NotLoopback, is_loopback_url, loopback_get
from serverlite.gateway.model import AuthorizerSpec, RouteSpec
from tests.unit.gateway.authfakes import (
    Clock,
    FakeIssuer,
    SigningKey,
    api_spec,
    auth_request,
    ec_key,
    hmac_token,
    rsa_key,
    unsigned_token,
)

NOW = 1_700_000_000
ISSUER = "http://127.0.0.1:9000/issuer"


@pytest.fixture(scope="module")
def rsa() -> SigningKey:
    return rsa_key("rsa-1")


@pytest.fixture(scope="module")
def ecdsa() -> SigningKey:
    return ec_key("ec-1")


def claims(**extra: Any) -> dict[str, Any]:
    return {
        "iss": ISSUER,
        "sub": "user-1",
        "aud": "client-a",
        "exp": NOW + 300,
        "iat": NOW,
        **extra,
    }


def keyring(*keys: SigningKey):  # type: ignore[no-untyped-def]
    jwks = {k.kid: k.jwk for k in keys}

    async def lookup(kid: str) -> dict[str, Any] | None:
        return jwks.get(kid)

    return lookup


def run_verify(token: str, *keys: SigningKey, now: float = NOW) -> dict[str, Any]:
    return asyncio.run(verify(token, keyring(*keys), now))


def refused(token: str, *keys: SigningKey, now: float = NOW) -> str:
    with pytest.raises(TokenError) as info:
        run_verify(token, *keys, now=now)
    return str(info.value)


# -- verification ----------------------------------------------------------------------


def test_rs256_and_es256_verify(rsa: SigningKey, ecdsa: SigningKey) -> None:
    assert run_verify(rsa.sign(claims()), rsa, ecdsa)["sub"] == "user-1"
    assert run_verify(ecdsa.sign(claims()), rsa, ecdsa)["sub"] == "user-1"


def test_alg_none_is_refused(rsa: SigningKey) -> None:
    assert refused(unsigned_token(claims(), rsa.kid), rsa) == "signing method none is invalid"


def test_hs256_signed_with_the_public_key_is_refused(rsa: SigningKey) -> None:
    # RFC 8725 2.1: the classic confusion, the RSA public key bytes as an HMAC secret.
    token = hmac_token(claims(), rsa.public_pem(), rsa.kid)
    assert refused(token, rsa) == "signing method HS256 is invalid"


def test_symmetric_keys_in_a_jwks_are_never_used() -> None:
    oct_key = {"kty": "oct", "kid": "shared", "k": "c2VjcmV0", "alg": "HS256"}

    async def lookup(kid: str) -> dict[str, Any] | None:
        return oct_key

    token = hmac_token(claims(), b"secret", "shared")
    with pytest.raises(TokenError):
        asyncio.run(verify(token, lookup, NOW))


def test_key_type_must_fit_the_algorithm(rsa: SigningKey, ecdsa: SigningKey) -> None:
    # An ES256 token naming an RSA key's kid, and an RS256 token naming an EC key's.
    impostor = SigningKey(rsa.kid, "ES256", ecdsa.private, ecdsa.jwk)
    assert "does not match" in refused(impostor.sign(claims()), rsa)
    impostor = SigningKey(ecdsa.kid, "RS256", rsa.private, rsa.jwk)
    assert "does not match" in refused(impostor.sign(claims()), ecdsa)
    # the key's own alg is binding
    rs384 = SigningKey(rsa.kid, "RS384", rsa.private, rsa.jwk)
    assert "does not match" in refused(rs384.sign(claims()), rsa)


def test_expired_and_not_yet_valid(rsa: SigningKey) -> None:
    assert refused(rsa.sign(claims(exp=NOW - 1)), rsa) == "the token has expired"
    assert refused(rsa.sign(claims(exp=NOW)), rsa) == "the token has expired"  # no leeway
    assert run_verify(rsa.sign(claims(exp=NOW + 1)), rsa)
    assert refused(rsa.sign(claims(nbf=NOW + 1)), rsa) == "the token is not valid yet"
    assert run_verify(rsa.sign(claims(nbf=NOW)), rsa)
    assert refused(rsa.sign(claims(iat=NOW + 5)), rsa) == "the token was issued in the future"
    no_exp = claims()
    del no_exp["exp"]
    assert refused(rsa.sign(no_exp), rsa) == "the token has no expiry"
    assert "not a number" in refused(rsa.sign(claims(exp="tomorrow")), rsa)


def test_tampered_and_foreign_signatures(rsa: SigningKey) -> None:
    token = rsa.sign(claims())
    header, _, signature = token.split(".")
    forged_body = rsa.sign(claims(sub="admin")).split(".")[1]
    assert refused(f"{header}.{forged_body}.{signature}", rsa) == "the token signature is invalid"
    other = rsa_key(rsa.kid)  # same kid, different key
    assert refused(other.sign(claims()), rsa) == "the token signature is invalid"


def test_kid_is_required_and_must_be_known(rsa: SigningKey) -> None:
    import jwt as pyjwt

    no_kid = pyjwt.encode(claims(), rsa.private, algorithm="RS256")
    assert refused(no_kid, rsa) == "the token has no kid"
    assert "no signing key" in refused(rsa_key("unknown").sign(claims()), rsa)
    assert refused("not-a-token", rsa) == "the token is malformed"


# -- JWKS fetching ----------------------------------------------------------------------


def test_jwks_via_discovery_then_refetch_on_unknown_kid_rate_limited(rsa: SigningKey) -> None:
    issuer = FakeIssuer(ISSUER, rsa)
    clock = Clock(NOW)
    client = JwksClient(ISSUER, issuer.get, clock, refetch_interval_s=30)

    async def go() -> None:
        assert await client.key(rsa.kid) == rsa.jwk
        assert issuer.fetched == [f"{ISSUER}/.well-known/openid-configuration", f"{ISSUER}/keys"]
        assert await client.key(rsa.kid) == rsa.jwk  # cached
        assert client.fetches == 1
        rotated = rsa_key("rsa-2")
        issuer.keys.append(rotated)
        assert await client.key("rsa-2") is None  # within the interval: no refetch
        assert client.fetches == 1
        clock.now += 30
        assert await client.key("rsa-2") == rotated.jwk  # unknown kid: fetched again
        assert client.fetches == 2
        assert await client.key("forged") is None
        assert await client.key("forged-again") is None
        assert client.fetches == 2

    asyncio.run(go())


def test_jwks_falls_back_to_well_known_and_never_leaves_loopback(rsa: SigningKey) -> None:
    issuer = FakeIssuer(ISSUER, rsa, discovery=False)
    client = JwksClient(ISSUER, issuer.get, Clock(NOW))
    assert asyncio.run(client.key(rsa.kid)) == rsa.jwk
    assert issuer.fetched[-1] == f"{ISSUER}/.well-known/jwks.json"

    async def off_machine(url: str) -> bytes:
        if url.endswith("openid-configuration"):
            return json.dumps({"jwks_uri": "https://keys.example.com/jwks"}).encode()
        assert is_loopback_url(url), url
        return json.dumps({"keys": [rsa.jwk]}).encode()

    client = JwksClient(ISSUER, off_machine, Clock(NOW))
    assert asyncio.run(client.key(rsa.kid)) == rsa.jwk


def test_unreachable_jwks_gives_no_key() -> None:
    async def down(url: str) -> bytes:
        raise OSError("connection refused")

    assert asyncio.run(JwksClient(ISSUER, down, Clock(NOW)).key("k")) is None


def test_loopback_urls() -> None:
    assert is_loopback_url("http://127.0.0.1:9000/x")
    assert is_loopback_url("http://127.5.0.1/x")
    assert is_loopback_url("http://[::1]:80/")
    assert is_loopback_url("https://localhost/x")
    assert not is_loopback_url("https://cognito-idp.us-east-1.amazonaws.com/pool")
    assert not is_loopback_url("http://10.0.0.1/")
    assert not is_loopback_url("file:///etc/passwd")
    assert not is_loopback_url("http://127.0.0.1.example.com/")


def test_the_default_getter_refuses_urls_off_this_machine() -> None:
    for url in (
        "https://cognito-idp.us-east-1.amazonaws.com/x/.well-known/jwks.json",
        "http://169.254.169.254/latest/meta-data",
        "file:///etc/passwd",
    ):
        with pytest.raises(NotLoopback):
            asyncio.run(loopback_get(url))


def test_issuer_directory_and_env() -> None:
    pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
    assert (
        cognito_issuer("arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc") == pool
    )

    async def never(url: str) -> bytes:
        raise AssertionError(url)

    directory = IssuerDirectory({pool: "http://127.0.0.1:9100/pool"}, never, Clock())
    assert directory.local_base(pool) == "http://127.0.0.1:9100/pool"
    assert directory.local_base(ISSUER) == ISSUER
    assert directory.client("https://example.auth0.com/") is None
    assert issuers_from_env({"SERVERLITE_JWT_ISSUERS": json.dumps({pool: "http://x"})}) == {
        pool: "http://x"
    }
    assert issuers_from_env({}) == {}
    with pytest.raises(ConfigError):
        issuers_from_env({"SERVERLITE_JWT_ISSUERS": "not json"})
    with pytest.raises(ConfigError):
        issuers_from_env({"SERVERLITE_JWT_ISSUERS": "[1]"})


# -- claims as functions see them -----------------------------------------------------------


def test_claims_are_stringified_as_aws_does() -> None:
    raw = {"exp": 1680629979, "n": 1.5, "ok": True, "groups": ["a", "b"], "name": "x"}
    assert http_claims(raw) == {
        "exp": "1680629979",
        "n": "1.5",
        "ok": "true",
        "groups": "[a b]",
        "name": "x",
    }
    rest = cognito_claims({**raw, "iat": 1680626379, "auth_time": 1680626379})
    assert rest["exp"] == "Tue Apr 04 17:39:39 UTC 2023"
    assert rest["iat"] == "Tue Apr 04 16:39:39 UTC 2023"
    assert rest["auth_time"] == "1680626379"
    assert rest["groups"] == "a,b"
    assert rest["ok"] == "true"


# -- the HTTP API JWT authorizer -----------------------------------------------------------


def jwt_setup(rsa: SigningKey, scopes: tuple[str, ...] = (), payload: str = "2.0"):  # type: ignore[no-untyped-def]
    spec = AuthorizerSpec(
        name="Jwt",
        type="JWT",
        issuer=ISSUER,
        audiences=("client-a", "client-b"),
        identity_sources=("$request.header.Authorization",),
    )
    route = RouteSpec(
        "GET",
        "/items/{id}",
        "fn",
        authorizer="Jwt",
        authorization_scopes=scopes,
        payload_version=payload,
    )
    api = api_spec("HTTP", {"Jwt": spec}, (route,))
    issuer = FakeIssuer(ISSUER, rsa)
    authorizer = JwtAuthorizer(spec, IssuerDirectory({}, issuer.get, Clock(NOW)), Clock(NOW))
    return api, route, authorizer, issuer


def check(authorizer: Any, api: Any, route: Any, token: str | None, **kw: Any) -> Any:
    headers = [("Authorization", token)] if token is not None else []
    return asyncio.run(authorizer.check(auth_request(api, route, headers=headers, **kw))).result


def test_jwt_allows_with_or_without_bearer(rsa: SigningKey) -> None:
    api, route, authorizer, _ = jwt_setup(rsa)
    token = rsa.sign(claims(scope="read write", groups=["a", "b"]))
    for header in (token, f"Bearer {token}", f"bearer {token}"):
        result = check(authorizer, api, route, header)
        assert result.error is None
        jwt_ctx = result.context["jwt"]
        assert jwt_ctx["claims"]["sub"] == "user-1"
        assert jwt_ctx["claims"]["groups"] == "[a b]"
        assert jwt_ctx["claims"]["exp"] == str(NOW + 300)
        assert jwt_ctx["scopes"] == ["read", "write"]
    no_scope = check(authorizer, api, route, rsa.sign(claims()))
    assert no_scope.context["jwt"]["scopes"] is None


def test_jwt_v1_payload_routes_get_claims_at_the_top(rsa: SigningKey) -> None:
    api, route, authorizer, _ = jwt_setup(rsa, payload="1.0")
    result = check(authorizer, api, route, rsa.sign(claims()))
    assert result.context["claims"]["sub"] == "user-1"


def www_authenticate(result: Any) -> str:
    return dict(result.headers)["www-authenticate"]


def test_jwt_refusals_are_401_with_www_authenticate(rsa: SigningKey) -> None:
    api, route, authorizer, _ = jwt_setup(rsa)
    missing = check(authorizer, api, route, None)
    assert missing.error == errors.UNAUTHORIZED
    assert www_authenticate(missing) == "Bearer"
    wrong_aud = check(authorizer, api, route, rsa.sign(claims(aud="someone-else")))
    assert wrong_aud.error == errors.UNAUTHORIZED
    assert www_authenticate(wrong_aud) == (
        'Bearer scope="" error="invalid_token" '
        'error_description="the token does not have a valid audience"'
    )
    expired = check(authorizer, api, route, rsa.sign(claims(exp=NOW - 10)))
    assert 'error_description="the token has expired"' in www_authenticate(expired)
    wrong_iss = check(authorizer, api, route, rsa.sign(claims(iss="http://127.0.0.1:1/other")))
    assert "valid issuer" in www_authenticate(wrong_iss)
    forged = check(authorizer, api, route, hmac_token(claims(), rsa.public_pem(), rsa.kid))
    assert forged.error == errors.UNAUTHORIZED
    assert check(authorizer, api, route, unsigned_token(claims(), rsa.kid)).error is not None


def test_jwt_audience_falls_back_to_client_id_only_without_aud(rsa: SigningKey) -> None:
    api, route, authorizer, _ = jwt_setup(rsa)
    access = claims(client_id="client-b")
    del access["aud"]
    assert check(authorizer, api, route, rsa.sign(access)).error is None
    both = claims(aud="nobody", client_id="client-b")
    assert check(authorizer, api, route, rsa.sign(both)).error == errors.UNAUTHORIZED
    assert check(authorizer, api, route, rsa.sign(claims(aud=["x", "client-a"]))).error is None


def test_jwt_route_scopes(rsa: SigningKey) -> None:
    api, route, authorizer, _ = jwt_setup(rsa, scopes=("items/read",))
    ok = check(authorizer, api, route, rsa.sign(claims(scope="items/read other")))
    assert ok.error is None
    assert check(authorizer, api, route, rsa.sign(claims(scp=["items/read"]))).error is None
    lacking = check(authorizer, api, route, rsa.sign(claims(scope="items/write")))
    assert lacking.error == errors.FORBIDDEN
    assert 'error="insufficient_scope"' in www_authenticate(lacking)
    assert check(authorizer, api, route, rsa.sign(claims())).error == errors.FORBIDDEN


def test_jwt_unknown_kid_is_refused_and_refetch_is_bounded(rsa: SigningKey) -> None:
    api, route, authorizer, issuer = jwt_setup(rsa)
    for i in range(5):
        result = check(authorizer, api, route, rsa_key(f"forged-{i}").sign(claims()))
        assert result.error == errors.UNAUTHORIZED
    assert len([u for u in issuer.fetched if u.endswith("/keys")]) == 1


# -- the REST Cognito authorizer ---------------------------------------------------------------

POOL_ARN = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Pool1"
POOL_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1"
LOCAL_POOL = "http://127.0.0.1:9000/cognito"


def cognito_setup(rsa: SigningKey, scopes: tuple[str, ...] = (), clients: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    spec = AuthorizerSpec(
        name="Pool",
        type="COGNITO",
        user_pool_arns=(POOL_ARN,),
        identity_sources=("method.request.header.Authorization",),
        audiences=clients,
    )
    route = RouteSpec("GET", "/items/{id}", "fn", authorizer="Pool", authorization_scopes=scopes)
    api = api_spec("REST", {"Pool": spec}, (route,))
    issuer = FakeIssuer(LOCAL_POOL, rsa)
    directory = IssuerDirectory({POOL_ISSUER: LOCAL_POOL}, issuer.get, Clock(NOW))
    return api, route, CognitoAuthorizer(spec, directory, Clock(NOW))


def id_token(rsa: SigningKey, **extra: Any) -> str:
    return rsa.sign(
        {
            "iss": POOL_ISSUER,
            "sub": "u1",
            "aud": "app-client",
            "token_use": "id",
            "email_verified": True,
            "cognito:groups": ["admins", "users"],
            "exp": NOW + 600,
            "iat": NOW,
            "auth_time": NOW,
            **extra,
        }
    )


def access_token(rsa: SigningKey, **extra: Any) -> str:
    return rsa.sign(
        {
            "iss": POOL_ISSUER,
            "sub": "u1",
            "client_id": "app-client",
            "token_use": "access",
            "scope": "orders/read",
            "exp": NOW + 600,
            "iat": NOW,
            **extra,
        }
    )


def test_cognito_id_token_reaches_the_function_as_claims(rsa: SigningKey) -> None:
    api, route, authorizer = cognito_setup(rsa, clients=("app-client",))
    result = check(authorizer, api, route, id_token(rsa))
    assert result.error is None
    got = result.context["claims"]
    assert got["sub"] == "u1"
    assert got["email_verified"] == "true"
    assert got["cognito:groups"] == "admins,users"
    assert got["exp"] == "Tue Nov 14 22:23:20 UTC 2023"
    assert got["auth_time"] == str(NOW)
    assert check(authorizer, api, route, f"Bearer {id_token(rsa)}").error is None


def test_cognito_refusals_are_401(rsa: SigningKey) -> None:
    api, route, authorizer = cognito_setup(rsa, clients=("app-client",))
    assert check(authorizer, api, route, None).error == errors.UNAUTHORIZED
    other_pool = id_token(rsa, iss="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other")
    assert check(authorizer, api, route, other_pool).error == errors.UNAUTHORIZED
    assert check(authorizer, api, route, id_token(rsa, aud="other")).error == errors.UNAUTHORIZED
    assert check(authorizer, api, route, id_token(rsa, exp=NOW)).error == errors.UNAUTHORIZED
    assert check(authorizer, api, route, "garbage").error == errors.UNAUTHORIZED
    forged = hmac_token({"iss": POOL_ISSUER, "exp": NOW + 9}, rsa.public_pem(), rsa.kid)
    assert check(authorizer, api, route, forged).error == errors.UNAUTHORIZED


def test_cognito_scopes_need_an_access_token(rsa: SigningKey) -> None:
    api, route, authorizer = cognito_setup(rsa, scopes=("orders/read",), clients=("app-client",))
    assert check(authorizer, api, route, access_token(rsa)).error is None
    assert check(authorizer, api, route, id_token(rsa)).error == errors.UNAUTHORIZED
    wrong = access_token(rsa, scope="orders/write")
    assert check(authorizer, api, route, wrong).error == errors.UNAUTHORIZED
    foreign = access_token(rsa, client_id="someone")
    assert check(authorizer, api, route, foreign).error == errors.UNAUTHORIZED


def test_cognito_issuer_not_mapped_is_401(rsa: SigningKey) -> None:
    spec = AuthorizerSpec(name="Pool", type="COGNITO", user_pool_arns=(POOL_ARN,))
    route = RouteSpec("GET", "/items/{id}", "fn", authorizer="Pool")
    api = api_spec("REST", {"Pool": spec}, (route,))

    async def never(url: str) -> bytes:
        raise AssertionError(url)

    authorizer = CognitoAuthorizer(spec, IssuerDirectory({}, never, Clock(NOW)), Clock(NOW))
    assert check(authorizer, api, route, id_token(rsa)).error == errors.UNAUTHORIZED
