"""Patient records: what is stored besides the resource, versions and ETags.
Pure: no AWS, no I/O."""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from patients.errors import Invalid, Issue, PreconditionFailed, PreconditionRequired
from patients.fhir import UUID_PATTERN, Patient, date_bounds, in_fhir_order, instant

# The identifier system that links a record to a user account (the token's ``sub``):
# a patient signed in with that account may read the record.
USER_LINK_SYSTEM = "urn:serverlite:identity:user"
_UUID = re.compile(UUID_PATTERN)
_USER_ID = re.compile(r"^[A-Za-z0-9._@:|+-]{1,128}$")
# What If-Match may say (around it, the optional whitespace of HTTP: spaces and tabs).
ETAG_PATTERN = r'^[ \t]*(?:W/)?"([0-9]{1,9})"[ \t]*$'
_ETAG = re.compile(ETAG_PATTERN)
VERSION_PATTERN = r"^[1-9][0-9]{0,8}$"
_VERSION = re.compile(VERSION_PATTERN)


@dataclass(frozen=True)
class SearchFields:
    """The columns beside the resource: what searches match on."""

    family: tuple[str, ...]
    given: tuple[str, ...]
    birth_low: date | None
    birth_high: date | None
    identifiers: tuple[tuple[str, str], ...]  # (system or "", value)
    user_id: str | None
    active: bool | None
    gender: str | None


@dataclass(frozen=True)
class StoredPatient:
    id: str
    organization: str
    user_id: str | None
    version: int
    content: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None

    @property
    def etag(self) -> str:
        return etag(self.version)

    def resource(self) -> dict[str, Any]:
        """The FHIR Patient as this service serves it."""
        body = {k: v for k, v in self.content.items() if k != "resourceType"}
        return {
            "resourceType": "Patient",
            "id": self.id,
            "meta": {"versionId": str(self.version), "lastUpdated": instant(self.updated_at)},
            **in_fhir_order(body),
            "managingOrganization": {"reference": f"Organization/{self.organization}"},
        }


def new_id() -> str:
    return str(uuid.uuid4())


def check_id(value: str | None) -> str:
    """A patient id from a path: a lowercase UUID, or Invalid (never echoed back)."""
    if value is None or not _UUID.fullmatch(value):  # fullmatch: $ allows a final \n
        raise Invalid("the patient id must be a UUID")
    return value


def check_version_id(value: str | None) -> int:
    """A version id from a path (what meta.versionId says: 1, 2, ...), or Invalid."""
    if value is None or not _VERSION.fullmatch(value):
        raise Invalid("the version id must be a whole number from 1")
    return int(value)


def normalize(text: str) -> str:
    """For matching as FHIR string search does: case- and accent-insensitive."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def search_fields(patient: Patient) -> SearchFields:
    family = {normalize(n.family) for n in patient.name or () if n.family}
    given = {normalize(g) for n in patient.name or () for g in n.given or ()}
    idents = tuple(
        (i.system or "", i.value) for i in patient.identifier or () if i.value is not None
    )
    links = [value for system, value in idents if system == USER_LINK_SYSTEM]
    if len(links) > 1:
        raise Invalid(f"a patient links to at most one user ({USER_LINK_SYSTEM})")
    if links and not _USER_ID.fullmatch(links[0]):
        raise Invalid(f"the {USER_LINK_SYSTEM} identifier must be a user id")
    low, high = date_bounds(patient.birthDate) if patient.birthDate else (None, None)
    return SearchFields(
        family=tuple(sorted(family)),
        given=tuple(sorted(given)),
        birth_low=low,
        birth_high=high,
        identifiers=idents,
        user_id=links[0] if links else None,
        active=patient.active,
        gender=patient.gender,
    )


def etag(version: int) -> str:
    """FHIR's weak ETag of a version: ``W/"3"``."""
    return f'W/"{version}"'


def expected_version(if_match: str | None, *, required: bool = True) -> int | None:
    """The version an If-Match header names; 428 when required and missing."""
    if if_match is None:
        if required:
            raise PreconditionRequired(
                "If-Match is required: send the ETag of the version you are changing"
            )
        return None
    match = _ETAG.fullmatch(if_match)  # an empty one too: it names no version
    if not match:
        raise PreconditionRequired('If-Match must be one ETag as the server sent it: W/"<n>"')
    return int(match.group(1))


def check_version(current: int, expected: int | None) -> None:
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"the patient is at version {current}, not {expected}: read it again, then retry"
        )


def check_resource_id(patient: Patient, patient_id: str) -> None:
    """An update's body names the record the URL names (FHIR R4 http.html#update: "If no
    id element is provided, or the id disagrees with the id in the URL, the server SHALL
    respond with an HTTP 400 error code, and SHOULD provide an OperationOutcome")."""
    if patient.id != patient_id:  # a missing id is refused by fhir.PatientUpdate
        raise Invalid(
            "the Patient's id must be the id in the URL",
            issues=(Issue("value", "must be the id in the URL", ("Patient.id",)),),
        )


def check_organization(patient: Patient, organization: str) -> None:
    """managingOrganization, if sent back, is the record's own: clients never set it."""
    sent = patient.managingOrganization
    if sent is not None and sent.reference != f"Organization/{organization}":
        message = "managingOrganization is set by the server: send it back as read, or not at all"
        raise Invalid(message, issues=(Issue("value", message, ("Patient.managingOrganization",)),))
