"""In-memory stand-ins for the store and the audit bus (the service's ports), and the
service checked: every answer it gives must be a valid FHIR R4 resource."""

from __future__ import annotations

from dataclasses import replace

from fhir_r4 import assert_r4
from patients.audit import AuditEvent
from patients.domain import SearchFields, StoredPatient
from patients.errors import Conflict
from patients.service import PatientService


class FakeStore:
    def __init__(self) -> None:
        self.patients: dict[str, StoredPatient] = {}
        self.idents: dict[str, set[tuple[str, str, str]]] = {}
        self.audit: list[AuditEvent] = []
        self.versions: dict[tuple[str, int], StoredPatient] = {}

    def get(self, patient_id):
        return self.patients.get(patient_id)

    def version(self, patient, version):
        found = self.versions.get((patient.id, version))
        return replace(found, user_id=patient.user_id) if found else None

    def _keep(self, patient):
        self.versions[(patient.id, patient.version)] = patient

    def _check(self, patient, fields):
        mine = {(patient.organization, s, v) for s, v in fields.identifiers if s}
        for pid, others in self.idents.items():
            if pid != patient.id and mine & others:
                raise Conflict("another patient of this organization has the same identifier")
        self.idents[patient.id] = mine

    def create(self, patient, fields: SearchFields):
        self._check(patient, fields)
        self.patients[patient.id] = patient
        self._keep(patient)

    def update(self, patient, fields, expected):
        current = self.patients[patient.id]
        if current.version != expected or current.deleted_at:
            return False
        self._check(patient, fields)
        self.patients[patient.id] = patient
        self._keep(patient)
        return True

    def delete(self, patient_id, expected, at):
        current = self.patients[patient_id]
        if current.version != expected or current.deleted_at:
            return False
        self.patients[patient_id] = replace(
            current, deleted_at=at, updated_at=at, version=current.version + 1
        )
        self.idents.pop(patient_id, None)
        self._keep(self.patients[patient_id])
        return True

    def search(self, query, scope, limit):
        found = [
            p
            for p in sorted(self.patients.values(), key=lambda p: p.id)
            if p.deleted_at is None
            and (
                p.organization == scope.organization
                or (scope.user_id and p.user_id == scope.user_id)
            )
            and (query.after is None or p.id > query.after)
        ]
        return found[:limit]

    def audit_trail(self, patient_id, limit, after):
        return [e for e in self.audit if patient_id in (e.patient_id, *e.patient_ids)][:limit]


class FakeAudit:
    def __init__(self, store: FakeStore, fail: bool = False) -> None:
        self.store, self.fail = store, fail

    def publish(self, event):
        if self.fail:
            raise RuntimeError("bus down")
        self.store.audit.append(event)


class NullAudit:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def publish(self, event: AuditEvent) -> None:
        self.events.append(event)


class R4Service(PatientService):
    """PatientService whose every answer is checked as FHIR R4 (fhir_r4.assert_r4)."""

    def handle(self, action, request):
        reply, denied = super().handle(action, request)
        if reply.body is not None:
            assert_r4(reply.body)
        return reply, denied
