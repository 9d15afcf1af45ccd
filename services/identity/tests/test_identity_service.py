"""identity's use cases over in-memory fakes: no AWS, no network."""

import base64
import logging

import jwt
import pytest
from argon2 import PasswordHasher
from identity.domain import (
    Client,
    InsufficientScope,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    RateLimit,
    RotationTooSoon,
    TooManyAttempts,
    UsernameTaken,
    UserNotFound,
    service_claims,
)
from identity.keys import KeyRing
from identity.passwords import Passwords
from identity.service import IdentityService, Settings, SigningKeys
from identity.vault import next_version_token
from identity_fakes import Clients, Clock, MemoryStore, MemoryVault

ISSUER = "http://127.0.0.1:3000"
PASSWORD = "correct horse battery"
IP = "10.0.0.1"
PROFILES = Client("profiles", "profiles-secret", ("locations:read",))
ADMIN = Client("identity-admin", "admin-secret", ("identity:admin",))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store():
    return MemoryStore()


@pytest.fixture
def vault():
    return MemoryVault()


@pytest.fixture
def identity(clock, store, vault):
    settings = Settings(
        issuer=ISSUER,
        ip_limit=RateLimit(10, 60),
        user_limit=RateLimit(3, 900),
        user_global_limit=RateLimit(8, 3600),
        token_limit=RateLimit(4, 60),
        key_cache_s=60,
    )
    cheap = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    keys = SigningKeys(vault, clock, cache_s=settings.key_cache_s)
    return IdentityService(settings, store, keys, Clients(PROFILES, ADMIN), cheap, clock)


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def signed_in(identity, username="ada", ip="10.0.0.1"):
    identity.signup({"username": username, "password": PASSWORD})
    return identity.signin({"username": username, "password": PASSWORD}, ip)


def test_sign_up_then_sign_in(identity, store, clock):
    account = identity.signup({"username": "Ada", "password": PASSWORD})
    assert account["username"] == "ada"
    stored = store.users["ada"]
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in repr(stored)
    session = identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.1")
    claims = claims_of(session["access_token"])
    assert claims["iss"] == ISSUER
    assert claims["sub"] == account["user_id"] == session["user_id"]
    assert claims["aud"] == ["locations", "profiles"]
    assert claims["exp"] - claims["iat"] == 900 == session["expires_in"]
    assert claims["iat"] == int(clock.now)
    assert set(claims["scope"].split()) == {"profiles:write", "locations:write"}
    assert claims["token_use"] == "access"
    header = jwt.get_unverified_header(session["access_token"])
    assert header["alg"] == "ES256"
    assert header["kid"] in {k["kid"] for k in identity.jwks()["keys"]}


def test_a_username_is_taken_once(identity):
    identity.signup({"username": "ada", "password": PASSWORD})
    with pytest.raises(UsernameTaken):
        identity.signup({"username": "ADA", "password": "another password 2"})


def test_passwords_never_reach_the_logs(identity, caplog):
    caplog.set_level(logging.DEBUG)
    signed_in(identity)
    with pytest.raises(InvalidGrant):
        identity.signin({"username": "ada", "password": "wrong password!"}, "10.0.0.1")
    assert PASSWORD not in caplog.text
    assert "wrong password!" not in caplog.text


def test_failed_sign_ins_are_limited_per_user_and_source(identity, clock):
    signed_in(identity)
    for _ in range(3):
        with pytest.raises(InvalidGrant):
            identity.signin({"username": "ada", "password": "wrong password"}, "10.0.0.2")
    with pytest.raises(TooManyAttempts) as limited:
        identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.2")
    assert 0 < limited.value.retry_after <= 900
    clock.advance(limited.value.retry_after)  # the next window
    assert identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.2")


def test_a_stranger_cannot_lock_a_user_out(identity):
    signed_in(identity)
    for _ in range(5):  # the stranger, past the per-source limit of 3
        with pytest.raises((InvalidGrant, TooManyAttempts)):
            identity.signin({"username": "ada", "password": "wrong password"}, "10.9.9.9")
    assert identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.1")


def test_failures_from_many_sources_meet_the_slower_global_limit(identity, clock):
    signed_in(identity)
    for n in range(8):  # three addresses' worth, under each one's own limit
        with pytest.raises(InvalidGrant):
            identity.signin({"username": "ada", "password": "wrong password"}, f"10.1.0.{n}")
    with pytest.raises(TooManyAttempts) as limited:
        identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.1")
    assert 0 < limited.value.retry_after <= 3600
    clock.advance(limited.value.retry_after)
    assert identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.1")


def test_token_requests_are_limited_per_source_address(identity, clock):
    for _ in range(4):
        identity.service_token({"grant_type": "client_credentials"}, _basic(PROFILES), IP)
    with pytest.raises(TooManyAttempts, match="address") as limited:
        identity.service_token({"grant_type": "client_credentials"}, _basic(PROFILES), IP)
    assert limited.value.retry_after <= 60
    assert identity.service_token(
        {"grant_type": "client_credentials"}, _basic(PROFILES), "10.0.0.77"
    )
    clock.advance(60)
    assert identity.service_token({"grant_type": "client_credentials"}, _basic(PROFILES), IP)


def test_a_success_clears_the_failures(identity, store):
    signed_in(identity)
    for _ in range(2):
        with pytest.raises(InvalidGrant):
            identity.signin({"username": "ada", "password": "wrong password"}, "10.0.0.2")
    identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.2")
    assert not [k for k in store.counters if k.startswith("RATE#signin-user#")]


def test_unknown_users_count_as_failures_too(identity):
    for _ in range(3):
        with pytest.raises(InvalidGrant):
            identity.signin({"username": "nobody", "password": "whatever it is"}, "10.0.0.2")
    with pytest.raises(TooManyAttempts):
        identity.signin({"username": "nobody", "password": "whatever it is"}, "10.0.0.2")


def test_attempts_are_limited_per_source_address(identity, clock):
    identity.signup({"username": "ada", "password": PASSWORD})
    for _ in range(10):
        identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.9")
    with pytest.raises(TooManyAttempts, match="address") as limited:
        identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.9")
    assert limited.value.retry_after <= 60
    assert identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.10")
    clock.advance(60)
    assert identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.9")


def test_refresh_rotates_the_token(identity, clock):
    session = signed_in(identity)
    clock.advance(30)
    fresh = identity.refresh({"refresh_token": session["refresh_token"]})
    assert fresh["refresh_token"] != session["refresh_token"]
    assert claims_of(fresh["access_token"])["sub"] == session["user_id"]
    assert claims_of(fresh["access_token"])["iat"] == int(clock.now)
    again = identity.refresh({"refresh_token": fresh["refresh_token"]})
    assert again["user_id"] == session["user_id"]


def test_reusing_a_rotated_token_revokes_the_whole_session(identity):
    session = signed_in(identity)
    fresh = identity.refresh({"refresh_token": session["refresh_token"]})
    with pytest.raises(InvalidGrant, match="already used"):
        identity.refresh({"refresh_token": session["refresh_token"]})
    # the thief's copy and the user's newest token are both dead now
    with pytest.raises(InvalidGrant):
        identity.refresh({"refresh_token": fresh["refresh_token"]})


def test_other_sessions_survive_a_revocation(identity):
    first = signed_in(identity)
    second = identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.1")
    identity.signout({"refresh_token": first["refresh_token"]})
    assert identity.refresh({"refresh_token": second["refresh_token"]})


def test_sign_out_refuses_the_refresh_token_afterwards(identity):
    session = signed_in(identity)
    identity.signout({"refresh_token": session["refresh_token"]})
    with pytest.raises(InvalidGrant):
        identity.refresh({"refresh_token": session["refresh_token"]})
    identity.signout({"refresh_token": session["refresh_token"]})  # again: no error


def test_sign_out_needs_the_secret_not_just_the_id(identity):
    session = signed_in(identity)
    token_id = session["refresh_token"].split(".")[0]
    identity.signout({"refresh_token": f"{token_id}.guessed"})
    identity.signout({"refresh_token": "garbage"})
    assert identity.refresh({"refresh_token": session["refresh_token"]})


def test_refresh_tokens_expire_with_their_session(identity, clock):
    session = signed_in(identity)
    clock.advance(30 * 24 * 3600)
    with pytest.raises(InvalidGrant):
        identity.refresh({"refresh_token": session["refresh_token"]})


def _basic(client: Client) -> str:
    return "Basic " + base64.b64encode(f"{client.client_id}:{client.secret}".encode()).decode()


def test_service_tokens(identity):
    grant = identity.service_token({"grant_type": "client_credentials"}, _basic(PROFILES), IP)
    claims = claims_of(grant["access_token"])
    assert claims["sub"] == claims["client_id"] == "profiles"
    assert claims["aud"] == ["locations"]
    assert claims["scope"] == grant["scope"] == "locations:read"
    assert claims["token_use"] == "service"
    with pytest.raises(InvalidClient):
        identity.service_token(
            {"grant_type": "client_credentials"}, _basic(Client("profiles", "wrong", ())), IP
        )
    with pytest.raises(InvalidClient):
        identity.service_token(
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            None,
            IP,
        )


def test_key_rotation_needs_the_admin_scope(identity):
    user = signed_in(identity)
    with pytest.raises(InvalidGrant):
        identity.rotate_keys(f"Bearer {user['access_token']}")  # audience is not identity
    with pytest.raises(InvalidGrant):
        identity.rotate_keys(None)
    profiles = identity.service_token({"grant_type": "client_credentials"}, _basic(PROFILES), IP)
    with pytest.raises(InvalidGrant):
        identity.rotate_keys(f"Bearer {profiles['access_token']}")
    admin = identity.service_token({"grant_type": "client_credentials"}, _basic(ADMIN), IP)
    assert claims_of(admin["access_token"])["aud"] == ["identity"]
    rotated = identity.rotate_keys(f"Bearer {admin['access_token']}")
    assert rotated["previous"] == jwt.get_unverified_header(user["access_token"])["kid"]


def test_require_scope_is_checked_after_the_audience(identity):
    # a token for the identity audience without the admin scope
    claims = service_claims("ops", ("identity:read",), ISSUER, identity.clock(), 60)
    token = identity.keys.ring().sign(claims)
    with pytest.raises(InsufficientScope):
        identity.rotate_keys(f"Bearer {token}")


def _admin_bearer(identity) -> str:
    admin = identity.service_token({"grant_type": "client_credentials"}, _basic(ADMIN), IP)
    return f"Bearer {admin['access_token']}"


def test_an_admin_grants_roles_that_reach_the_tokens(identity, store):
    account = identity.signup({"username": "grace", "password": PASSWORD})
    before = identity.get_grants("grace", _admin_bearer(identity))
    assert before["roles"] == [] and before["org"] is None and before["scope"] == ""
    granted = identity.set_grants(
        "Grace", {"roles": ["clinician"], "org": "org-a"}, _admin_bearer(identity)
    )
    assert granted == {
        "user_id": account["user_id"],
        "username": "grace",
        "roles": ["clinician"],
        "org": "org-a",
        "scope": "patients:read patients:write",
        "updated_at": int(identity.clock()),
    }
    assert store.grants[account["user_id"]].updated_by == "identity-admin"
    session = identity.signin({"username": "grace", "password": PASSWORD}, "10.0.0.1")
    claims = claims_of(session["access_token"])
    assert claims["aud"] == ["locations", "profiles", "patients"]
    assert claims["roles"] == ["clinician"] and claims["org"] == "org-a"
    assert {"patients:read", "patients:write"} <= set(claims["scope"].split())
    assert session["scope"] == claims["scope"]

    # a change (here: a revocation) reaches the next refreshed token
    identity.set_grants("grace", {"roles": []}, _admin_bearer(identity))
    refreshed = identity.refresh({"refresh_token": session["refresh_token"]})
    after = claims_of(refreshed["access_token"])
    assert after["aud"] == ["locations", "profiles"]
    assert "roles" not in after and "org" not in after
    assert "patients:read" not in after["scope"].split()


def test_only_an_admin_client_grants_roles(identity):
    user = signed_in(identity, "mallory")
    profiles = identity.service_token({"grant_type": "client_credentials"}, _basic(PROFILES), IP)
    body = {"roles": ["admin"], "org": "org-a"}
    for authorization in (None, f"Bearer {user['access_token']}", "Bearer nonsense"):
        with pytest.raises(InvalidGrant):
            identity.set_grants("mallory", body, authorization)
    with pytest.raises(InvalidGrant):  # a service token for locations, not identity
        identity.set_grants("mallory", body, f"Bearer {profiles['access_token']}")
    ops = service_claims("ops", ("identity:read",), ISSUER, identity.clock(), 60)
    with pytest.raises(InsufficientScope):
        identity.set_grants("mallory", body, f"Bearer {identity.keys.ring().sign(ops)}")
    with pytest.raises(UserNotFound):
        identity.set_grants("nobody", body, _admin_bearer(identity))
    with pytest.raises(InvalidRequest):
        identity.set_grants("mallory", {"roles": ["root"]}, _admin_bearer(identity))
    again = identity.signin({"username": "mallory", "password": PASSWORD}, "10.0.0.1")
    assert "roles" not in claims_of(again["access_token"])  # nothing changed


def test_sign_up_cannot_assign_roles(identity):
    with pytest.raises(InvalidRequest):
        identity.signup(
            {"username": "eve", "password": PASSWORD, "roles": ["admin"], "org": "org-a"}
        )


def test_rotation_keeps_old_tokens_valid_and_is_spaced(identity, clock):
    user = signed_in(identity)
    admin = identity.service_token({"grant_type": "client_credentials"}, _basic(ADMIN), IP)
    before = identity.jwks()["keys"]
    rotated = identity.rotate_keys(f"Bearer {admin['access_token']}")
    after = {k["kid"] for k in identity.jwks()["keys"]}
    assert {k["kid"] for k in before} <= after and len(after) == 3
    assert rotated["current"] == before[1]["kid"]  # next was published before it signed
    # signed before the rotation, still valid after it
    old_kid = jwt.get_unverified_header(user["access_token"])["kid"]
    assert old_kid in after
    new = identity.signin({"username": "ada", "password": PASSWORD}, "10.0.0.1")
    assert jwt.get_unverified_header(new["access_token"])["kid"] == rotated["current"]
    with pytest.raises(RotationTooSoon) as refused:
        identity.rotate_keys(f"Bearer {admin['access_token']}")
    assert refused.value.retry_after == identity.settings.rotation_interval_s
    clock.advance(identity.settings.rotation_interval_s)
    admin = identity.service_token({"grant_type": "client_credentials"}, _basic(ADMIN), IP)
    assert identity.rotate_keys(f"Bearer {admin['access_token']}")["previous"] == rotated["current"]


def test_keys_are_made_once_even_when_two_environments_race(clock, vault):
    first, second = SigningKeys(vault, clock), SigningKeys(vault, clock)
    ring = first.ring()
    assert vault.writes == 1
    assert second.ring() == ring  # read, not made again

    class Racing(MemoryVault):
        """A vault that another environment bootstraps between our read and write."""

        def read(self):
            if self.current is None and not getattr(self, "raced", False):
                self.raced = True
                return None, None
            return super().read()

        def write(self, ring, replacing):
            if replacing is None and self.current is None:
                super().write(winner, None)
            return super().write(ring, replacing)

    winner = KeyRing.bootstrap(clock())
    racing = Racing()
    assert SigningKeys(racing, clock).ring() == winner


def test_discovery_names_the_issuer_and_its_keys(identity):
    document = identity.discovery()
    assert document["issuer"] == ISSUER
    assert document["jwks_uri"] == f"{ISSUER}/.well-known/jwks.json"
    assert document["token_endpoint"] == f"{ISSUER}/token"
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]


def test_every_rotation_writes_a_new_version():
    tokens = [next_version_token(None)]
    for _ in range(50):
        tokens.append(next_version_token(tokens[-1]))
    assert len(set(tokens)) == len(tokens)
    assert all(32 <= len(t) <= 64 for t in tokens)  # Secrets Manager's limits
