"""Audit events on the bus and as FHIR AuditEvents; metrics; the sample events. No I/O."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_lambda_powertools import Metrics
from fhir_r4 import NotFhirR4, assert_r4
from patients import handlers
from patients.audit import AuditEvent, fhir_audit_event, from_detail, outcome_of
from patients.domain import USER_LINK_SYSTEM
from patients.http import from_event
from patients.routes import ROUTES
from patients.service import PatientService
from patients_fakes import FakeStore, NullAudit
from patients_metrics import OPERATIONS, measure

EVENTS = Path(__file__).resolve().parent.parent / "events"
PID = "8f14e45f-ceea-467f-a0e6-0b6a3f3c9a11"
EVENT = AuditEvent(
    audit_id="0b6f5c4e-1d2a-4f3b-9c8d-7e6f5a4b3c2d",
    occurred_at=datetime(2026, 1, 1, 12, tzinfo=UTC),
    request_id="req-1",
    action="search",
    outcome="success",
    status=200,
    actor_id="doc-a",
    actor_roles=("clinician",),
    actor_org="org-a",
    patient_ids=(PID,),
    query_params=("family",),
)


def test_details_round_trip_through_the_bus():
    assert from_detail(json.loads(json.dumps(EVENT.detail()))) == EVENT


@pytest.mark.parametrize(
    "change",
    [
        {"action": "export"},
        {"outcome": "maybe"},
        {"status": 99},
        {"status": "200"},
        {"patientId": "Lovelace"},
        {"queryParams": ["Lovelace"]},  # parameter names only, never values
        {"occurredAt": "2026-01-01T12:00:00"},  # no time zone
        {"extra": 1},
        {"actor": {"userId": "a b", "roles": [], "organization": None}},
    ],
)
def test_events_that_are_not_ours_are_refused(change):
    with pytest.raises(ValueError):
        from_detail({**EVENT.detail(), **change})


def test_outcomes():
    assert outcome_of(200, False) == "success"
    assert outcome_of(404, True) == "denied"
    assert outcome_of(412, False) == "failed"


def test_fhir_audit_events():
    resource = assert_r4(fhir_audit_event(EVENT))
    assert resource["subtype"][0]["code"] == "search-type"
    assert resource["action"] == "E"
    assert resource["outcome"] == "0"
    assert resource["recorded"] == "2026-01-01T12:00:00.000Z"
    assert resource["entity"][0]["what"] == {"reference": f"Patient/{PID}"}
    assert resource["entity"][1]["description"] == "Patient search; parameters: family"


def test_the_requesting_agent_is_the_user_not_the_organization():
    """FHIR R4 auditevent.html, agent.who: "Where a User ID is available it will go into
    who.identifier"; the organization is a second agent, not the requestor."""
    user, organization = fhir_audit_event(EVENT)["agent"]
    assert user["requestor"] is True
    assert user["who"] == {"identifier": {"system": USER_LINK_SYSTEM, "value": "doc-a"}}
    assert user["role"] == [{"text": "clinician"}]
    assert organization["requestor"] is False
    assert organization["who"]["identifier"]["value"] == "org-a"
    assert "org-a" not in json.dumps(user)


@pytest.mark.parametrize(
    ("action", "interaction", "crude"),
    [
        ("read", "read", "R"),  # restful-interaction: read; AuditEventAction R
        ("vread", "vread", "R"),
        ("search", "search-type", "E"),  # a search or query is E ("Execute")
        ("create", "create", "C"),
        ("update", "update", "U"),
        ("delete", "delete", "D"),
        ("read-audit", "search-type", "E"),  # a search of AuditEvent by patient
    ],
)
@pytest.mark.parametrize("outcome", ["success", "failed", "denied"])
def test_every_action_and_outcome_is_a_valid_r4_audit_event(action, interaction, crude, outcome):
    one = action not in ("search", "read-audit")
    event = replace(
        EVENT,
        action=action,
        outcome=outcome,
        patient_id=PID if one or action == "read-audit" else None,
        patient_ids=() if one else EVENT.patient_ids,
        query_params=EVENT.query_params if action == "search" else (),
    )
    resource = assert_r4(fhir_audit_event(event))
    assert (resource["subtype"][0]["code"], resource["action"]) == (interaction, crude)
    assert resource["outcome"] == {"success": "0", "failed": "4", "denied": "8"}[outcome]


def test_an_anonymous_refusal_is_a_valid_r4_audit_event():
    """A 401 knows no user, organization, role or patient."""
    anonymous = replace(
        EVENT,
        action="read",
        outcome="denied",
        status=401,
        actor_id=None,
        actor_roles=(),
        actor_org=None,
        patient_ids=(),
        query_params=(),
    )
    resource = assert_r4(fhir_audit_event(anonymous))
    assert resource["agent"] == [
        {
            "type": resource["agent"][0]["type"],
            "who": {"identifier": {"system": USER_LINK_SYSTEM}},
            "requestor": True,
        }
    ]
    assert "entity" not in resource


@pytest.mark.parametrize(
    "broken",
    [
        lambda r: r["agent"][0].pop("requestor"),  # 1..1
        lambda r: r.pop("source"),  # 1..1
        lambda r: r.__setitem__("recorded", "2026-01-01 12:00"),  # not an instant
        lambda r: r.__setitem__("action", "X"),  # required binding
        lambda r: r.__setitem__("entity", []),  # FHIR JSON has no empty arrays
        lambda r: r["agent"][0]["who"].__setitem__("display", None),  # nor nulls
        lambda r: r.__setitem__("id", "a b"),  # not a FHIR id
        lambda r: r.__setitem__("agent", r["agent"][0]),  # 1..*: an array
    ],
)
def test_the_r4_check_refuses_what_r4_refuses(broken):
    """The positive twin of the checks above: a broken AuditEvent does not pass."""
    resource = fhir_audit_event(EVENT)
    broken(resource)
    with pytest.raises(NotFhirR4):
        assert_r4(resource)


def test_metrics_per_operation_without_phi_dimensions(capsys):
    metrics = Metrics(namespace="PatientsTest", service="patients")
    with measure(metrics, "getPatient", clock=iter([1.0, 1.25]).__next__) as measured:
        measured.status = 404
        measured.denied = True
    metrics.flush_metrics()
    emf = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert emf["Operation"] == "getPatient"
    assert emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Operation", "service"]]
    assert (emf["Requests"], emf["Duration"], emf["Errors"]) == ([1.0], [250.0], [0.0])
    assert (emf["ClientErrors"], emf["Denied"]) == ([1.0], [1.0])
    with pytest.raises(ValueError), measure(metrics, "Lovelace"):
        pass


def test_every_handler_measures_an_operation_metrics_knows():
    """measure() refuses an Operation it does not know (a fixed dimension set): a handler
    measuring another would fail every request."""
    for route in ROUTES:
        module, name = route.handler.split(".")
        if module == "patients/handlers":
            assert getattr(handlers, name).__name__ in OPERATIONS, route


def test_the_sample_events_drive_the_service():
    """events/*.json (for `serverlite invoke`) carry claims as the gateway sends them."""
    store = FakeStore()
    app = PatientService(store, NullAudit(), ids=lambda: PID)

    def run(name: str, action: str) -> int:
        return app.handle(action, from_event(json.loads((EVENTS / name).read_text())))[0].status

    assert run("getPatient.json", "read") == 404
    assert run("createPatient.json", "create") == 201
    assert run("getPatient.json", "read") == 200
    assert run("vreadPatient.json", "vread") == 200
    assert run("searchPatients.json", "search") == 200
    assert run("updatePatient.json", "update") == 200
    assert run("deletePatient.json", "delete") == 204
    assert run("getPatientAudit.json", "read-audit") == 200
    assert from_detail(json.loads((EVENTS / "recordAudit.json").read_text())["detail"])
