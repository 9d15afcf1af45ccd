"""The auth layer: claims as API Gateway hands them over, and who may do what. No I/O."""

from __future__ import annotations

import pytest
from patients_auth.policy import (
    Forbidden,
    PatientRef,
    SearchScope,
    may_access,
    require,
    search_scope,
)
from patients_auth.principal import (
    Principal,
    Unauthenticated,
    principal_from_claims,
    principal_from_event,
    split_claim,
)

READ_WRITE = frozenset({"patients:read", "patients:write"})


def who(roles: set[str], org: str | None = "org-a", user: str = "u-1", scopes=READ_WRITE):
    return Principal(user, frozenset(roles), org, frozenset(scopes))


def http_event(claims: dict, scopes: list[str] | None) -> dict:
    return {"requestContext": {"authorizer": {"jwt": {"claims": claims, "scopes": scopes}}}}


def test_http_api_claims_arrive_as_strings_and_are_read():
    event = http_event(
        {"sub": "u-1", "roles": "[clinician admin]", "org": "org-a", "exp": "1700000000"},
        ["patients:read", "patients:audit"],
    )
    principal = principal_from_event(event)
    assert principal == Principal(
        "u-1",
        frozenset({"clinician", "admin"}),
        "org-a",
        frozenset({"patients:read", "patients:audit"}),
    )


def test_scopes_fall_back_to_the_scope_claim_and_rest_cognito_claims_work():
    event = {
        "requestContext": {
            "authorizer": {
                "claims": {
                    "sub": "c-1",
                    "cognito:groups": "patient,other",
                    "scope": "patients:read",
                }
            }
        }
    }
    principal = principal_from_event(event)
    assert principal.roles == frozenset({"patient"})
    assert principal.scopes == frozenset({"patients:read"})
    assert principal.organization is None


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"requestContext": {}},
        {"requestContext": {"authorizer": {"jwt": {}}}},
        http_event({"roles": "[clinician]"}, None),
        http_event({"sub": ""}, None),
        http_event({"sub": "x' OR '1'='1"}, None),
        http_event({"sub": "doc-a\n"}, None),  # re's $ also matches before a final \n
    ],
)
def test_requests_without_a_usable_identity_are_unauthenticated(event):
    with pytest.raises(Unauthenticated):
        principal_from_event(event)


def test_unknown_roles_and_malformed_organizations_are_ignored():
    principal = principal_from_claims({"sub": "u", "roles": ["root", "admin"], "org": "a b"})
    assert principal.roles == frozenset({"admin"})
    assert principal.organization is None


@pytest.mark.parametrize(
    ("value", "parts"),
    [("[a b]", ["a", "b"]), ("a,b", ["a", "b"]), ("a b", ["a", "b"]), (["a"], ["a"]), (3, [])],
)
def test_multi_valued_claims_in_every_printed_form(value, parts):
    assert split_claim(value) == parts


def test_function_level_rules_need_both_role_and_scope():
    require(who({"clinician"}), "create")
    require(who({"patient"}, org=None, scopes={"patients:read"}), "read")
    require(who({"patient"}, org=None, scopes={"patients:read"}), "vread")  # earlier versions
    require(who({"admin"}, scopes={"patients:audit"}), "read-audit")
    refusals = [
        (who({"patient"}, org=None), "create"),  # a patient writes nothing
        (who({"clinician"}, scopes={"patients:read"}), "update"),  # scope missing
        (who({"admin"}, scopes=READ_WRITE), "read-audit"),
        (who({"clinician"}, scopes={"patients:audit"}), "read-audit"),  # role missing
        (who({"admin"}, scopes={"patients:read"}), "read"),  # admins do not read records
        (who({"admin"}, scopes={"patients:read"}), "vread"),
        (who({"clinician"}, scopes={"patients:write"}), "vread"),
        (who({"clinician"}, org=None), "search"),  # a clinician works for an organization
        (who({"clinician", "patient"}, org=None), "create"),
        (who(set()), "read"),
    ]
    for principal, action in refusals:
        with pytest.raises(Forbidden):
            require(principal, action)


def test_object_level_rules():
    mine = PatientRef("org-a", "u-1")
    theirs = PatientRef("org-b", "u-2")
    clinician = who({"clinician"})
    assert may_access(clinician, "read", mine)
    assert may_access(clinician, "update", PatientRef("org-a", None))
    assert not may_access(clinician, "read", theirs)
    assert not may_access(clinician, "delete", theirs)
    patient = who({"patient"}, org=None, user="u-2")
    assert may_access(patient, "read", theirs)  # their own record, whatever organization
    assert not may_access(patient, "read", mine)
    assert not may_access(patient, "update", theirs)
    assert may_access(patient, "vread", theirs)  # versions of their own record only
    assert not may_access(patient, "vread", mine)
    assert not may_access(clinician, "vread", theirs)
    admin = who({"admin"}, scopes={"patients:audit"})
    assert may_access(admin, "read-audit", mine)
    assert not may_access(admin, "read-audit", theirs)
    assert not may_access(admin, "read", mine)
    assert not may_access(clinician, "read-audit", mine)


def test_search_scope_follows_the_roles():
    assert search_scope(who({"clinician"})) == SearchScope("org-a", None)
    assert search_scope(who({"patient"}, user="u-9")) == SearchScope(None, "u-9")
    assert search_scope(who({"clinician", "patient"})) == SearchScope("org-a", "u-1")
    assert search_scope(who({"admin"})) == SearchScope(None, None)
