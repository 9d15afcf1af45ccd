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


@dataclass(frozen=True)
class Issue:
    code: str  # FHIR IssueType
    diagnostics: str
    expression: tuple[str, ...] = ()


class FhirError(Exception):
    status = 500
    code = "exception"

    def __init__(self, diagnostics: str, *, issues: tuple[Issue, ...] = ()) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics
        self.issues = issues or (Issue(self.code, diagnostics),)


class Invalid(FhirError):
    status, code = 400, "invalid"


class NotAuthenticated(FhirError):
    status, code = 401, "login"


class Forbidden(FhirError):
    status, code = 403, "forbidden"


class NotFound(FhirError):
    status, code = 404, "not-found"


class NotAcceptable(FhirError):
    status, code = 406, "not-supported"


class Conflict(FhirError):
    status, code = 409, "duplicate"


class Gone(FhirError):
    status, code = 410, "deleted"


class PreconditionFailed(FhirError):
    status, code = 412, "conflict"


class TooLarge(FhirError):
    status, code = 413, "too-costly"


class UnsupportedMediaType(FhirError):
    status, code = 415, "not-supported"


class PreconditionRequired(FhirError):
    status, code = 428, "required"


class Unavailable(FhirError):
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
