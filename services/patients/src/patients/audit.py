"""The audit trail: one event per access to patient data, allowed or not. Pure.

An event says who (user id, roles, organization), which patient (or, for a search,
which patients were returned), what (read, vread, search, create, update, delete,
read-audit), when, the outcome (success, denied, failed) with the HTTP status, and
the API request id. Never PHI: a search records the names of its parameters, not
their values. Events travel on an EventBridge bus to the consumer that appends
them to the audit table; admins read them back as FHIR AuditEvent resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from patients.fhir import instant

SOURCE = "serverlite.patients"
DETAIL_TYPE = "PatientAccess"
Outcome = Literal["success", "denied", "failed"]
ActionName = Literal["read", "vread", "search", "create", "update", "delete", "read-audit"]
_ID = r"^[A-Za-z0-9._@:|+=/-]{1,128}$"


def outcome_of(status: int, denied: bool) -> Outcome:
    if denied:
        return "denied"
    return "success" if status < 400 else "failed"


@dataclass(frozen=True)
class AuditEvent:
    audit_id: str
    occurred_at: datetime
    request_id: str
    action: str
    outcome: str
    status: int
    actor_id: str | None = None
    actor_roles: tuple[str, ...] = ()
    actor_org: str | None = None
    patient_id: str | None = None
    patient_ids: tuple[str, ...] = ()
    query_params: tuple[str, ...] = field(default=())

    def detail(self) -> dict[str, Any]:
        """The EventBridge detail (JSON-able)."""
        return {
            "auditId": self.audit_id,
            "occurredAt": self.occurred_at.isoformat(),
            "requestId": self.request_id,
            "action": self.action,
            "outcome": self.outcome,
            "status": self.status,
            "actor": {
                "userId": self.actor_id,
                "roles": list(self.actor_roles),
                "organization": self.actor_org,
            },
            "patientId": self.patient_id,
            "patientIds": list(self.patient_ids),
            "queryParams": list(self.query_params),
        }


class _Actor(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    userId: str | None = Field(None, pattern=_ID)
    roles: list[Literal["clinician", "patient", "admin"]] = Field(max_length=3)
    organization: str | None = Field(None, pattern=r"^[A-Za-z0-9._:-]{1,64}$")


class _Detail(BaseModel):
    model_config = ConfigDict(extra="forbid")  # not strict: UUIDs and datetimes from JSON
    auditId: UUID
    occurredAt: datetime
    requestId: str = Field(pattern=_ID)
    action: ActionName
    outcome: Outcome
    status: int = Field(ge=100, le=599, strict=True)
    actor: _Actor
    patientId: UUID | None = None
    patientIds: list[UUID] = Field(default_factory=list, max_length=100)
    queryParams: list[Literal["family", "given", "birthdate", "identifier"]] = Field(
        default_factory=list, max_length=4
    )


def from_detail(detail: Any) -> AuditEvent:
    """An event from the bus, checked (ValueError if it is not one of ours)."""
    d = _Detail.model_validate(detail)
    if d.occurredAt.tzinfo is None:
        raise ValueError("occurredAt needs a time zone")
    return AuditEvent(
        audit_id=str(d.auditId),
        occurred_at=d.occurredAt,
        request_id=d.requestId,
        action=d.action,
        outcome=d.outcome,
        status=d.status,
        actor_id=d.actor.userId,
        actor_roles=tuple(d.actor.roles),
        actor_org=d.actor.organization,
        patient_id=str(d.patientId) if d.patientId else None,
        patient_ids=tuple(str(p) for p in d.patientIds),
        query_params=tuple(d.queryParams),
    )


# FHIR R4 AuditEvent (auditevent.html). subtype: the RESTful interaction
# (http://hl7.org/fhir/restful-interaction): a read of one record is `read`, a search
# of a resource type `search-type` (the audit trail is a search of AuditEvent by
# patient: a searchset Bundle). action (AuditEventAction, a required binding): R for a
# read; E ("Execute ... or perform a query/search operation") for a search.
_INTERACTION = {
    "read": ("read", "R"),
    "vread": ("vread", "R"),
    "search": ("search-type", "E"),
    "create": ("create", "C"),
    "update": ("update", "U"),
    "delete": ("delete", "D"),
    "read-audit": ("search-type", "E"),
}
_OUTCOME = {"success": "0", "failed": "4", "denied": "8"}  # AuditEventOutcome
_SAFE = re.compile(_ID)
ORGANIZATION_SYSTEM = "urn:serverlite:identity:org"
# Codings FHIR R4 defines for agents and entities (participation-role-type,
# audit-entity-type, object-role, security-source-type).
_HUMAN_USER = {
    "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
    "code": "humanuser",
    "display": "human user",
}
_PERSON = {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"}
_SYSTEM_OBJECT = {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"}
_PATIENT_ROLE = {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"}
_QUERY_ROLE = {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "24"}
_APPLICATION_SERVER = {
    "system": "http://terminology.hl7.org/CodeSystem/security-source-type",
    "code": "4",
}


def _agents(event: AuditEvent) -> list[dict[str, Any]]:
    """The user who asked (agent.who: "Where a User ID is available it will go into
    who.identifier"), then the organization they act for, if any: R4's agent has no
    onBehalfOf, so it is a second agent that did not request."""
    identifier = {"system": "urn:serverlite:identity:user"}
    if event.actor_id and _SAFE.fullmatch(event.actor_id):
        identifier["value"] = event.actor_id
    user: dict[str, Any] = {
        "type": {"coding": [_HUMAN_USER]},
        "who": {"identifier": identifier},
        "requestor": True,
    }
    if event.actor_roles:
        user["role"] = [{"text": role} for role in event.actor_roles]
    agents = [user]
    if event.actor_org:
        organization = {"system": ORGANIZATION_SYSTEM, "value": event.actor_org}
        agents.append(
            {"who": {"type": "Organization", "identifier": organization}, "requestor": False}
        )
    return agents


def _entities(event: AuditEvent) -> list[dict[str, Any]]:
    """The patients concerned; for a search, also the query (its parameter names only:
    the values would be PHI, so AuditEvent.entity.query is not used)."""
    patients = [event.patient_id] if event.patient_id else list(event.patient_ids)
    entities: list[dict[str, Any]] = [
        {"what": {"reference": f"Patient/{p}"}, "type": _PERSON, "role": _PATIENT_ROLE}
        for p in patients
    ]
    if event.action == "search":
        names = ",".join(event.query_params) or "none"
        query = f"Patient search; parameters: {names}"
    elif event.action == "read-audit":
        query = "AuditEvent search by patient"
    else:
        return entities
    return [*entities, {"type": _SYSTEM_OBJECT, "role": _QUERY_ROLE, "description": query}]


def fhir_audit_event(event: AuditEvent) -> dict[str, Any]:
    interaction, crude = _INTERACTION[event.action]
    resource: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": event.audit_id,
        "extension": [
            {"url": "urn:serverlite:request-id", "valueString": event.request_id},
        ],
        "type": {
            "system": "http://terminology.hl7.org/CodeSystem/audit-event-type",
            "code": "rest",
        },
        "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": interaction}],
        "action": crude,
        "recorded": instant(event.occurred_at),
        "outcome": _OUTCOME[event.outcome],
        "outcomeDesc": f"{event.action} {event.outcome} (HTTP {event.status})",
        "agent": _agents(event),
        "source": {"observer": {"display": "patients"}, "type": [_APPLICATION_SERVER]},
    }
    entities = _entities(event)
    if entities:  # FHIR JSON has no empty arrays
        resource["entity"] = entities
    return resource
