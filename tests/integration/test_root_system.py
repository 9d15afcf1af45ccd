"""The whole reference system, as `serverlite up` runs the ROOT template.yaml: identity
issues the tokens that the patients gateway trusts, with the roles and organization
an operator granted.

An operator (the AdminClient's client credentials, scope identity:admin) grants roles
and an organization at identity; the users sign in and their access tokens carry
``roles``, ``org``, the patients scopes those roles imply and the ``patients``
audience. Then a clinician records a patient linked to a patient user, that user
reads their own record, a user with no grant is refused at the gateway, and an admin
reads the audit trail.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import jwt
import pytest

from tests.integration.conftest import Server, start_server

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
USER_LINK = "urn:serverlite:identity:user"
FHIR = "application/fhir+json"


@dataclass
class System:
    server: Server
    identity: str
    patients: str
    http: httpx.Client

    def admin_token(self) -> str:
        """A client-credentials token from the AdminClient (scope identity:admin)."""
        sm = boto3.client(
            "secretsmanager",
            endpoint_url=self.server.url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
        )
        client = json.loads(sm.get_secret_value(SecretId="Identity-AdminClient")["SecretString"])
        grant = self.http.post(
            f"{self.identity}/token",
            data={"grant_type": "client_credentials"},
            auth=(client["client_id"], client["client_secret"]),
        )
        assert grant.status_code == 200, grant.text
        return str(grant.json()["access_token"])

    def sign_up(self, username: str) -> str:
        created = self.http.post(
            f"{self.identity}/signup", json={"username": username, "password": PASSWORD}
        )
        assert created.status_code == 201, created.text
        return str(created.json()["user_id"])

    def sign_in(self, username: str) -> dict[str, Any]:
        session = self.http.post(
            f"{self.identity}/signin", json={"username": username, "password": PASSWORD}
        )
        assert session.status_code == 200, session.text
        return dict(session.json())

    def grant(self, username: str, token: str, **grants: Any) -> httpx.Response:
        return self.http.put(
            f"{self.identity}/admin/users/{username}/grants", json=grants, headers=bearer(token)
        )


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def claims_of(session: dict[str, Any]) -> dict[str, Any]:
    return dict(jwt.decode(session["access_token"], options={"verify_signature": False}))


@pytest.fixture(scope="module")
def system() -> Iterator[System]:
    # Not under pytest's basetemp: as root, the embedded PostgreSQL runs as the
    # pgserver user, and another pytest session would make that directory private.
    workdir = Path(tempfile.mkdtemp(prefix="serverlite-root-"))
    server = start_server(
        ROOT / "template.yaml", workdir / "state", "--port", "0", "--iam", "enforce"
    )
    try:
        urls = server.api_urls()
        with httpx.Client(timeout=30) as http:
            yield System(server, urls["Identity/IdentityApi"], urls["Patients/PatientsApi"], http)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.slow  # waits for the asynchronous audit consumer
def test_identity_tokens_with_granted_roles_work_at_patients(system: System) -> None:
    http, patients = system.http, f"{system.patients}/patients"
    ids = {name: system.sign_up(name) for name in ("dr-quinn", "rosa", "ada-admin", "stranger")}
    ids["dr-other"] = system.sign_up("dr-other")

    # Only an operator grants: a user's own token is not for identity's audience.
    own = system.sign_in("stranger")
    self_granted = system.grant("stranger", own["access_token"], roles=["admin"], org="clinic-a")
    assert self_granted.status_code == 401
    assert self_granted.json()["error"] == "invalid_grant"

    admin = system.admin_token()
    for username, roles, org in (
        ("dr-quinn", ["clinician"], "clinic-a"),
        ("rosa", ["patient"], "clinic-a"),
        ("ada-admin", ["admin"], "clinic-a"),
        ("dr-other", ["clinician"], "clinic-b"),
    ):
        granted = system.grant(username, admin, roles=roles, org=org)
        assert granted.status_code == 200, granted.text
        assert granted.json()["roles"] == roles and granted.json()["org"] == org
    assert system.grant("nobody", admin, roles=["patient"]).status_code == 404
    assert system.grant("rosa", admin, roles=["superuser"]).status_code == 400
    read_back = http.get(f"{system.identity}/admin/users/rosa/grants", headers=bearer(admin))
    assert read_back.json()["scope"] == "patients:read"

    doctor, rosa, auditor = (system.sign_in(n) for n in ("dr-quinn", "rosa", "ada-admin"))
    other = system.sign_in("dr-other")
    claims = claims_of(doctor)
    assert claims["sub"] == ids["dr-quinn"] and claims["iss"] == system.identity
    assert "patients" in claims["aud"] and {"locations", "profiles"} <= set(claims["aud"])
    assert claims["roles"] == ["clinician"] and claims["org"] == "clinic-a"
    assert {"patients:read", "patients:write"} <= set(claims["scope"].split())
    assert claims_of(rosa)["roles"] == ["patient"]
    assert "patients:write" not in claims_of(rosa)["scope"].split()
    assert "patients" not in claims_of(own)["aud"] and "roles" not in claims_of(own)

    # The clinician records a patient linked to rosa's identity user id.
    record = {
        "resourceType": "Patient",
        "identifier": [
            {"system": "urn:mrn", "value": "MRN-7001"},
            {"system": USER_LINK, "value": ids["rosa"]},
        ],
        "active": True,
        "name": [{"family": "Rosewater", "given": ["Rosa"]}],
        "gender": "female",
        "birthDate": "1979-04-01",
    }
    created = http.post(
        patients, json=record, headers=bearer(doctor["access_token"], **{"Content-Type": FHIR})
    )
    assert created.status_code == 201, created.text
    pid = created.json()["id"]

    # rosa reads (and finds) her own record, and cannot write.
    mine = http.get(f"{patients}/{pid}", headers=bearer(rosa["access_token"]))
    assert mine.status_code == 200, mine.text
    assert mine.json()["name"][0]["family"] == "Rosewater"
    found = http.get(patients, headers=bearer(rosa["access_token"])).json()
    assert [e["resource"]["id"] for e in found["entry"]] == [pid]
    write = http.post(
        patients, json=record, headers=bearer(rosa["access_token"], **{"Content-Type": FHIR})
    )
    assert write.status_code == 403 and write.json() == {"message": "Forbidden"}  # the gateway

    # A user without a grant: the token is not for the patients audience (the gateway).
    refused = http.get(f"{patients}/{pid}", headers=bearer(own["access_token"]))
    assert refused.status_code == 401
    assert "valid audience" in refused.headers["www-authenticate"]
    # A clinician of another organization: the function hides the record (BOLA).
    assert http.get(f"{patients}/{pid}", headers=bearer(other["access_token"])).status_code == 404
    # An admin reads audit trails, not records (the function).
    as_admin = http.get(f"{patients}/{pid}", headers=bearer(auditor["access_token"]))
    assert as_admin.status_code == 403
    assert as_admin.json()["resourceType"] == "OperationOutcome"

    # The admin reads the audit trail: who did what, allowed or denied.
    expected = {
        (ids["dr-quinn"], "create", "0"),
        (ids["rosa"], "read", "0"),
        (ids["dr-other"], "read", "8"),
    }
    audit_trail(system, pid, auditor["access_token"], expected)
    doctor_trail = http.get(f"{patients}/{pid}/audit", headers=bearer(doctor["access_token"]))
    assert doctor_trail.status_code == 403  # the route needs patients:audit

    # Taking the role away reaches rosa's next refreshed token.
    assert system.grant("rosa", admin, roles=[]).status_code == 200
    refreshed = http.post(
        f"{system.identity}/token/refresh", json={"refresh_token": rosa["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    assert "patients" not in claims_of(refreshed.json())["aud"]
    gone = http.get(f"{patients}/{pid}", headers=bearer(refreshed.json()["access_token"]))
    assert gone.status_code == 401


def audit_trail(system: System, pid: str, token: str, expected: set[tuple[str, str, str]]) -> None:
    """Wait until the trail holds the ``expected`` (who, interaction, outcome) events:
    the consumer that stores them is asynchronous."""
    deadline = time.monotonic() + 15
    seen: set[tuple[str, str, str]] = set()
    while time.monotonic() < deadline:
        response = system.http.get(f"{system.patients}/patients/{pid}/audit", headers=bearer(token))
        assert response.status_code == 200, response.text
        seen = {
            (
                e["resource"]["agent"][0]["who"]["identifier"].get("value", ""),
                e["resource"]["subtype"][0]["code"],
                e["resource"]["outcome"],
            )
            for e in response.json().get("entry", [])
        }
        if expected <= seen:
            return
        time.sleep(0.2)
    raise AssertionError(f"the audit trail lacks {expected - seen}; it has {seen}")
