import base64

import pytest
from identity.domain import (
    Client,
    Family,
    InvalidClient,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    RateLimit,
    RefreshToken,
    UnsupportedGrantType,
    access_claims,
    audiences_for,
    client_credentials,
    client_from_secret,
    grant_scopes,
    hash_secret,
    issue_refresh_token,
    judge_refresh,
    parse_credentials,
    parse_grants,
    split_refresh_token,
    username_from_path,
)

NOW = 1_700_000_000.0


def test_credentials_are_normalised_and_never_shown():
    credentials = parse_credentials(
        {"username": "  Ada.L ", "password": "correct horse battery"}, new_account=True
    )
    assert credentials.username == "ada.l"
    assert "correct horse" not in repr(credentials)
    assert "correct horse" not in str(credentials)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "ab", "password": "correct horse battery"}, "3-32 characters"),
        ({"username": "-ada", "password": "correct horse battery"}, "starting with"),
        ({"username": "ada", "password": "short"}, "at least 10"),
        ({"username": "ada", "password": " padded password "}, "whitespace"),
        ({"username": "ada", "password": "my-name-is-ada!"}, "username"),
        ({"username": "ada", "password": "aaaaaaaaaaaabbb"}, "4 different"),
        ({"username": "ada", "password": "x" * 257}, "at most 256"),
        ({"username": "ada"}, "required"),
        ({"username": "ada", "password": "correct horse battery", "admin": True}, "object"),
        (["ada"], "object"),
    ],
)
def test_a_new_account_must_meet_the_rules(body, message):
    with pytest.raises(InvalidRequest, match=message):
        parse_credentials(body, new_account=True)


def test_sign_in_does_not_say_which_part_was_wrong():
    with pytest.raises(InvalidGrant, match="invalid username or password"):
        parse_credentials({"username": "no such name!", "password": "x"}, new_account=False)
    with pytest.raises(InvalidGrant, match="invalid username or password"):
        parse_credentials({"username": "ada", "password": ""}, new_account=False)
    # an existing account's old password is checked against its hash, not the policy
    assert parse_credentials({"username": "ada", "password": "short"}, new_account=False)


def _token(status="active", expires=NOW + 60) -> tuple[str, RefreshToken]:
    raw, record = issue_refresh_token("u1", "f1", NOW, 60)
    return raw.split(".")[1], RefreshToken(
        record.token_id, "f1", "u1", record.secret_hash, status, int(expires)
    )


def test_refresh_tokens_are_stored_as_hashes():
    raw, record = issue_refresh_token("u1", "f1", NOW, 3600)
    token_id, secret = split_refresh_token(raw)
    assert token_id == record.token_id
    assert secret not in repr(record)
    assert record.secret_hash == hash_secret(secret)
    assert record.expires_at == NOW + 3600


@pytest.mark.parametrize("raw", [None, "", "no-dot", "a.b.c", ".secret", "id.", "x" * 201])
def test_malformed_refresh_tokens_are_refused(raw):
    with pytest.raises(InvalidGrant):
        split_refresh_token(raw)


def test_refresh_verdicts():
    family = Family("f1", "u1", revoked=False, expires_at=int(NOW + 3600))
    secret, active = _token()
    assert judge_refresh(active, family, secret, NOW) == "rotate"
    assert judge_refresh(active, family, "forged", NOW) == "invalid"
    assert judge_refresh(None, family, secret, NOW) == "invalid"
    assert judge_refresh(active, None, secret, NOW) == "invalid"
    revoked = Family("f1", "u1", revoked=True, expires_at=int(NOW + 3600))
    assert judge_refresh(active, revoked, secret, NOW) == "invalid"
    assert judge_refresh(active, family, secret, NOW + 61) == "invalid"  # token expired
    secret, rotated = _token(status="rotated")
    assert judge_refresh(rotated, family, secret, NOW) == "reuse"
    # a forged secret for a rotated id must not be able to revoke someone's session
    assert judge_refresh(rotated, family, "forged", NOW) == "invalid"


def test_fixed_windows():
    limit = RateLimit(limit=3, window_s=60)
    start = limit.window(NOW)
    assert start % 60 == 0 and start <= NOW < start + 60
    assert limit.expires_at(NOW) == start + 60
    assert 1 <= limit.retry_after(NOW) <= 60
    assert not limit.exceeded(3)
    assert limit.exceeded(4)


def test_scopes_and_audiences():
    allowed = ("locations:read", "profiles:read")
    assert grant_scopes(None, allowed) == allowed
    assert grant_scopes("locations:read", allowed) == ("locations:read",)
    with pytest.raises(InvalidScope, match="identity:admin"):
        grant_scopes("locations:read identity:admin", allowed)
    assert audiences_for(("locations:read", "locations:write", "profiles:read")) == [
        "locations",
        "profiles",
    ]


def test_client_credentials_by_basic_or_by_form():
    basic = "Basic " + base64.b64encode(b"profiles:s3cret").decode()
    grant = {"grant_type": "client_credentials", "scope": "locations:read"}
    assert client_credentials(grant, basic) == ("profiles", "s3cret", "locations:read")
    form = {**grant, "client_id": "profiles", "client_secret": "s3cret"}
    assert client_credentials(form, None) == ("profiles", "s3cret", "locations:read")
    with pytest.raises(InvalidRequest, match="not both"):
        client_credentials(form, basic)
    with pytest.raises(InvalidRequest, match="grant_type is required"):
        client_credentials({}, basic)
    with pytest.raises(UnsupportedGrantType, match="POST /signin") as refused:
        client_credentials({"grant_type": "password"}, basic)
    assert (refused.value.status, refused.value.code) == (400, "unsupported_grant_type")
    with pytest.raises(InvalidClient):
        client_credentials(grant, None)
    with pytest.raises(InvalidClient):
        client_credentials(grant, "Basic !!!")


def test_client_registrations():
    client = client_from_secret(
        {"client_id": "profiles", "client_secret": "s3cret", "scope": "locations:read"}
    )
    assert client == Client("profiles", "s3cret", ("locations:read",))
    assert client.authenticates("s3cret")
    assert not client.authenticates("s3cret ")
    assert "s3cret" not in repr(client)
    with pytest.raises(ValueError, match="client_secret"):
        client_from_secret({"client_id": "profiles", "scope": "x"})


def test_roles_imply_the_patients_scopes():
    clinician = parse_grants({"roles": ["clinician"], "org": "org-a"}, NOW, "ops")
    assert clinician.scopes == ("patients:read", "patients:write")
    assert clinician.org == "org-a" and clinician.updated_by == "ops"
    both = parse_grants({"roles": ["patient", "admin", "patient"], "org": "org-a"}, NOW, "ops")
    assert both.roles == ("patient", "admin")  # canonical order, no repeats
    assert both.scopes == ("patients:audit", "patients:read")
    patient = parse_grants({"roles": ["patient"]}, NOW, "ops")
    assert patient.scopes == ("patients:read",) and patient.org is None
    assert parse_grants({"roles": []}, NOW, "ops").scopes == ()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (None, "an object"),
        ({"org": "org-a"}, "an object with roles"),
        ({"roles": ["clinician"], "org": "org-a", "user_id": "x"}, "an object"),
        ({"roles": "clinician", "org": "org-a"}, "list of strings"),
        ({"roles": ["doctor"], "org": "org-a"}, "unknown roles: doctor"),
        ({"roles": ["clinician"]}, "need an org"),
        ({"roles": ["admin"], "org": None}, "need an org"),
        ({"roles": ["clinician"], "org": "org a; drop"}, "org must be"),
        ({"roles": ["clinician"], "org": 7}, "org must be"),
    ],
)
def test_bad_grants_are_refused(body, message):
    with pytest.raises(InvalidRequest, match=message):
        parse_grants(body, NOW, "ops")


def test_access_claims_carry_roles_org_and_the_patients_audience():
    plain = access_claims("u1", "http://i", ("locations", "profiles"), NOW, 900)
    assert plain["aud"] == ["locations", "profiles"]
    assert plain["scope"] == "profiles:write locations:write"
    assert "roles" not in plain and "org" not in plain
    grants = parse_grants({"roles": ["clinician"], "org": "org-a"}, NOW, "ops")
    granted = access_claims("u1", "http://i", ("locations", "profiles"), NOW, 900, grants)
    assert granted["aud"] == ["locations", "profiles", "patients"]
    assert granted["roles"] == ["clinician"] and granted["org"] == "org-a"
    assert granted["scope"].split() == [
        "profiles:write",
        "locations:write",
        "patients:read",
        "patients:write",
    ]


def test_usernames_in_paths():
    assert username_from_path("Ada") == "ada"
    for bad in (None, "", "a", "../etc", "ada%20"):
        with pytest.raises(InvalidRequest):
            username_from_path(bad)
