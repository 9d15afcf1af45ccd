"""What the API answers, as models for the OpenAPI document (``openapi.py``).

The service builds its answers as plain dicts (``StoredPatient.resource``,
``search.bundle``, ``audit.fhir_audit_event``, ``errors.operation_outcome``); these
models describe them, and tests/test_patients_openapi.py checks that what that code
builds is valid against the schemas generated from them. Never used to validate input.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from patients.errors import IssueType
from patients.fhir import (
    ORGANIZATION_PATTERN,
    UUID_PATTERN,
    OrganizationReference,
    Patient,
    PatientUpdate,
)
from patients.search import MAX_COUNT

Id = Annotated[str, Field(pattern=UUID_PATTERN)]
# fhir.instant(): milliseconds, always UTC.
Instant = Annotated[
    str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$")
]
Url = Annotated[str, Field(min_length=1, json_schema_extra={"format": "uri"})]


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Meta(Answer):
    versionId: Annotated[str, Field(pattern=r"^[1-9][0-9]*$")]
    lastUpdated: Instant


class PatientResource(Patient):
    """A Patient as this service serves it: a Patient as sent, with the id, meta
    (version and last update) and managing organization the server sets."""

    id: Id  # type: ignore[assignment]
    meta: Meta  # type: ignore[assignment]
    managingOrganization: OrganizationReference  # type: ignore[assignment]


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
    display: str | None = None


class AgentType(Answer):
    coding: Annotated[list[AuditCoding], Field(min_length=1, max_length=1)]


class UserIdentifier(Answer):
    system: Literal["urn:serverlite:identity:user"]  # domain.USER_LINK_SYSTEM
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9._@:|+=/-]{1,128}$")] | None = None


class UserReference(Answer):
    identifier: UserIdentifier


class AgentRole(Answer):
    text: Literal["clinician", "patient", "admin"]


class UserAgent(Answer):
    """The user who made the request (the token's ``sub``), and their roles."""

    type: AgentType
    who: UserReference
    requestor: Literal[True]
    role: Annotated[list[AgentRole], Field(min_length=1, max_length=3)] | None = None


class OrganizationIdentifier(Answer):
    system: Literal["urn:serverlite:identity:org"]  # audit.ORGANIZATION_SYSTEM
    value: Annotated[str, Field(pattern=rf"^{ORGANIZATION_PATTERN}$")]


class OrganizationByIdentifier(Answer):
    type: Literal["Organization"]
    identifier: OrganizationIdentifier


class OrganizationAgent(Answer):
    """The organization the user acts for (not the requestor)."""

    who: OrganizationByIdentifier
    requestor: Literal[False]


class AuditObserver(Answer):
    display: Literal["patients"]


class AuditSource(Answer):
    observer: AuditObserver
    type: Annotated[list[AuditCoding], Field(min_length=1, max_length=1)]


class RequestIdExtension(Answer):
    url: Literal["urn:serverlite:request-id"]
    valueString: Annotated[str, Field(min_length=1)]


class PatientReference(Answer):
    reference: Annotated[str, Field(pattern=rf"^Patient/{UUID_PATTERN[1:-1]}$")]


class AuditEntity(Answer):
    """A patient concerned (``what``), or the query of a search (``description``: the
    names of the search parameters used, never their values)."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 3, "maxProperties": 3})
    what: PatientReference | None = None
    type: AuditCoding
    role: AuditCoding
    description: str | None = None


class AuditEventResource(Answer):
    """One access to a patient's data (FHIR R4 AuditEvent), allowed or not."""

    resourceType: Literal["AuditEvent"]
    id: Id
    extension: Annotated[list[RequestIdExtension], Field(min_length=1, max_length=1)]
    type: AuditCoding
    subtype: Annotated[list[AuditCoding], Field(min_length=1, max_length=1)]
    action: Literal["C", "R", "U", "D", "E"]
    recorded: Instant
    outcome: Literal["0", "4", "8"]  # success, failed (client error), denied
    outcomeDesc: str
    agent: Annotated[list[UserAgent | OrganizationAgent], Field(min_length=1, max_length=2)]
    source: AuditSource
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
    PatientUpdate,
    PatientResource,
    PatientBundle,
    AuditBundle,
    OperationOutcome,
)
