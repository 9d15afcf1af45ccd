"""Refusals, each with its HTTP status and FHIR issue code, answered as an
OperationOutcome (``outcome.py``).

    FhirError                     root; status and issue code
    ├── Invalid                   400 invalid / structure / value / required
    ├── NotAuthenticated          401 login
    ├── Forbidden                 403 forbidden
    ├── NotFound                  404 not-found
    ├── NotAcceptable             406 not-supported
    ├── Conflict                  409 duplicate
    ├── Gone                      410 deleted
    ├── PreconditionFailed        412 conflict
    ├── TooLarge                  413 too-costly
    ├── UnsupportedMediaType      415 not-supported
    ├── PreconditionRequired      428 required
    └── Unavailable               503 transient
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

# The FHIR IssueTypes this service answers with.
IssueType = Literal[
    "invalid",
    "structure",
    "required",
    "value",
    "login",
    "forbidden",
    "not-found",
    "not-supported",
    "duplicate",
    "deleted",
    "conflict",
    "too-costly",
    "exception",
    "transient",
]
ISSUE_TYPES: tuple[str, ...] = get_args(IssueType)


@dataclass(frozen=True)
class Issue:
    code: IssueType
    diagnostics: str
    expression: tuple[str, ...] = ()


class FhirError(Exception):
    """The server failed to handle the request (a bug: it is logged)."""

    status = 500
    code: IssueType = "exception"

    def __init__(self, diagnostics: str, *, issues: tuple[Issue, ...] = ()) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics
        self.issues = issues or (Issue(self.code, diagnostics),)


class Invalid(FhirError):
    """The id, a parameter, a header or the body is not valid (each issue says where)."""

    status, code = 400, "invalid"


class NotAuthenticated(FhirError):
    """The verified token names no usable user (``sub``)."""

    status, code = 401, "login"


class Forbidden(FhirError):
    """The token lacks the role, the scope or the organization the operation needs."""

    status, code = 403, "forbidden"


class NotFound(FhirError):
    """No such record, or one of another organization (indistinguishable on purpose)."""

    status, code = 404, "not-found"


class NotAcceptable(FhirError):
    """The Accept header allows neither application/fhir+json nor application/json."""

    status, code = 406, "not-supported"


class Conflict(FhirError):
    """Another record of the organization has the same identifier (or user link)."""

    status, code = 409, "duplicate"


class Gone(FhirError):
    """The record was deleted."""

    status, code = 410, "deleted"


class PreconditionFailed(FhirError):
    """If-Match names another version than the current one: read it again."""

    status, code = 412, "conflict"


class TooLarge(FhirError):
    """The body is larger than 64 KiB."""

    status, code = 413, "too-costly"


class UnsupportedMediaType(FhirError):
    """The body is not UTF-8 application/fhir+json (or application/json)."""

    status, code = 415, "not-supported"


class PreconditionRequired(FhirError):
    """If-Match is missing or is not one ETag as the server sent it (W/"<n>")."""

    status, code = 428, "required"


class Unavailable(FhirError):
    """The database cannot be reached: retry shortly."""

    status, code = 503, "transient"


def operation_outcome(error: FhirError) -> dict[str, object]:
    """The FHIR OperationOutcome for a refusal."""
    issues = []
    for issue in error.issues:
        entry: dict[str, object] = {
            "severity": "error",
            "code": issue.code,
            "diagnostics": issue.diagnostics,
        }
        if issue.expression:
            entry["expression"] = list(issue.expression)
        issues.append(entry)
    return {"resourceType": "OperationOutcome", "issue": issues}
