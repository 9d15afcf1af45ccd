"""What the API answers, as models for the OpenAPI document (``openapi.py``).

The service builds its answers as plain dicts (``StoredPatient.resource``,
``search.bundle``, ``audit.fhir_audit_event``, ``errors.operation_outcome``); these
models describe them, and tests/test_patients_openapi.py checks that what that code
builds is valid against the schemas generated from them. Never used to validate input.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from patients.domain import UUID_PATTERN
from patients.errors import IssueType
from patients.fhir import Patient
from patients.search import MAX_COUNT

Id = Annotated[str, Field(pattern=UUID_PATTERN)]
# fhir.instant(): milliseconds, always UTC.
Instant = Annotated[
    str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$")
]
OrganizationId = r"[A-Za-z0-9._:-]{1,64}"  # patients_auth.principal.ORGANIZATION
Url = Annotated[str, Field(min_length=1, json_schema_extra={"format": "uri"})]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(Answer):
    versionId: Annotated[str, Field(pattern=r"^[1-9][0-9]*$")]
    lastUpdated: Instant


class OrganizationReference(Answer):
    reference: Annotated[str, Field(pattern=rf"^Organization/{OrganizationId}$")]


class PatientResource(Patient):
    """A Patient as this service serves it: a Patient as sent, with the id, meta
    (version and last update) and managing organization the server sets."""

    id: Id
    meta: Meta
    managingOrganization: OrganizationReference


class Link(Answer):
    relation: Literal["self", "next"]
    url: Url


class SearchMode(Answer):
    mode: Literal["match"]


class PatientEntry(Answer):
    fullUrl: Url
    resource: PatientResource
    search: SearchMode


class PatientBundle(Answer):
    """A page of search results; the ``next`` link (if any) fetches the next page."""

    resourceType: Literal["Bundle"]
    type: Literal["searchset"]
    link: Annotated[list[Link], Field(min_length=1, max_length=2)]
    entry: Annotated[list[PatientEntry], Field(min_length=1, max_length=MAX_COUNT)] | None = None


class AuditCoding(Answer):
    system: Url
    code: str


class AgentIdentifier(Answer):
    system: Literal["urn:serverlite:identity:user"]  # domain.USER_LINK_SYSTEM
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9._@:|+=/-]{1,128}$")] | None = None


class AgentWho(Answer):
    identifier: AgentIdentifier
    display: Annotated[str, Field(pattern=rf"^Organization/{OrganizationId}$")] | None = None


class AgentRole(Answer):
    text: Literal["clinician", "patient", "admin"]


class AuditAgent(Answer):
    who: AgentWho
    requestor: Literal[True]
    role: Annotated[list[AgentRole], Field(min_length=1, max_length=3)] | None = None


class AuditObserver(Answer):
    display: Literal["patients"]


class AuditSource(Answer):
    observer: AuditObserver


class RequestIdExtension(Answer):
    url: Literal["urn:serverlite:request-id"]
    valueString: Annotated[str, Field(min_length=1)]


class PatientReference(Answer):
    reference: Annotated[str, Field(pattern=rf"^Patient/{UUID_PATTERN[1:-1]}$")]


class AuditEntity(Answer):
    """The patient concerned, or (for a search) each patient returned and the names
    of the search parameters used (never their values)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1, "maxProperties": 1})
    what: PatientReference | None = None
    description: str | None = None


class AuditEventResource(Answer):
    """One access to a patient's data (FHIR R4 AuditEvent), allowed or not."""

    resourceType: Literal["AuditEvent"]
    id: Id
    type: AuditCoding
    subtype: Annotated[list[AuditCoding], Field(min_length=1, max_length=1)]
    action: Literal["C", "R", "U", "D", "E"]
    recorded: Instant
    outcome: Literal["0", "4", "8"]  # success, failed (client error), denied
    outcomeDesc: str
    agent: Annotated[list[AuditAgent], Field(min_length=1, max_length=1)]
    source: AuditSource
    extension: Annotated[list[RequestIdExtension], Field(min_length=1, max_length=1)]
    entity: Annotated[list[AuditEntity], Field(min_length=1)] | None = None


class AuditEntry(Answer):
    resource: AuditEventResource
    search: SearchMode


class AuditBundle(Answer):
    """A page of a patient's audit trail, oldest first."""

    resourceType: Literal["Bundle"]
    type: Literal["searchset"]
    link: Annotated[list[Link], Field(min_length=1, max_length=2)]
    entry: Annotated[list[AuditEntry], Field(min_length=1)] | None = None


class OutcomeIssue(Answer):
    severity: Literal["error"]
    code: IssueType
    diagnostics: Annotated[str, Field(min_length=1)]
    expression: Annotated[list[str], Field(min_length=1)] | None = None


class OperationOutcome(Answer):
    """Why the request was refused (FHIR R4 OperationOutcome): one issue per problem."""

    resourceType: Literal["OperationOutcome"]
    issue: Annotated[list[OutcomeIssue], Field(min_length=1)]


MODELS: tuple[type[BaseModel], ...] = (
    Patient,
    PatientResource,
    PatientBundle,
    AuditBundle,
    OperationOutcome,
)
