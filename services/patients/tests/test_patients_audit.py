"""Audit events on the bus and as FHIR AuditEvents; metrics; the sample events. No I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_lambda_powertools import Metrics
from patients.audit import AuditEvent, fhir_audit_event, from_detail, outcome_of
from patients.http import from_event
from patients.service import PatientService
from patients_fakes import FakeStore, NullAudit
from patients_metrics import measure

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
    resource = fhir_audit_event(EVENT)
    assert resource["resourceType"] == "AuditEvent"
    assert resource["subtype"][0]["code"] == "search-type"
    assert resource["action"] == "E"
    assert resource["outcome"] == "0"
    assert resource["recorded"] == "2026-01-01T12:00:00.000Z"
    assert resource["agent"][0]["who"]["identifier"]["value"] == "doc-a"
    assert resource["entity"][0]["what"] == {"reference": f"Patient/{PID}"}


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


def test_the_sample_events_drive_the_service():
    """events/*.json (for `serverlite invoke`) carry claims as the gateway sends them."""
    store = FakeStore()
    app = PatientService(store, NullAudit(), ids=lambda: PID)

    def run(name: str, action: str) -> int:
        return app.handle(action, from_event(json.loads((EVENTS / name).read_text())))[0].status

    assert run("getPatient.json", "read") == 404
    assert run("createPatient.json", "create") == 201
    assert run("getPatient.json", "read") == 200
    assert run("searchPatients.json", "search") == 200
    assert run("updatePatient.json", "update") == 200
    assert run("deletePatient.json", "delete") == 204
    assert run("getPatientAudit.json", "read-audit") == 200
    assert from_detail(json.loads((EVENTS / "recordAudit.json").read_text())["detail"])
