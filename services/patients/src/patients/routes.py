"""The API's routes, in one table: the handlers are made from it, the OpenAPI
document (``openapi.py``) is generated from it, and a unit test checks that the
template's HttpApi events say the same (template.yaml cannot import Python).

``statuses`` are what the function itself answers besides the refusals every
operation can give (401, 403, 406, 500, 503: see ``openapi.py``); the gateway's own
answers (its JWT authorizer's 401 and 403) are added there too.
"""

from __future__ import annotations

from dataclasses import dataclass

from patients_auth.policy import SCOPES, Action


@dataclass(frozen=True)
class Route:
    operation: str  # the operationId, the handler's metrics Operation
    function: str  # the template's AWS::Serverless::Function (logical id)
    handler: str  # its Handler
    method: str  # lowercase, as the template writes it
    path: str
    action: Action | None  # None: the OpenAPI document, the CapabilityStatement (no token)
    summary: str
    statuses: tuple[int, ...]

    @property
    def scope(self) -> str | None:
        """The scope the gateway's JWT authorizer requires on this route."""
        return SCOPES[self.action] if self.action else None


ROUTES: tuple[Route, ...] = (
    Route(
        "searchPatients",
        "SearchPatients",
        "patients/handlers.search_patients",
        "get",
        "/patients",
        "search",
        "Search the patients the caller may see",
        (200, 400),
    ),
    Route(
        "searchPatientsByPost",
        "SearchPatients",
        "patients/handlers.search_patients",
        "post",
        "/patients/_search",
        "search",
        "Search the patients the caller may see, the parameters in a form body",
        (200, 400, 413, 415),
    ),
    Route(
        "createPatient",
        "CreatePatient",
        "patients/handlers.create_patient",
        "post",
        "/patients",
        "create",
        "Record a patient in the caller's organization",
        (201, 400, 409, 413, 415),
    ),
    Route(
        "getPatient",
        "GetPatient",
        "patients/handlers.get_patient",
        "get",
        "/patients/{id}",
        "read",
        "Read a patient",
        (200, 400, 404, 410),
    ),
    Route(
        "vreadPatient",
        "GetPatientVersion",
        "patients/handlers.vread_patient",
        "get",
        "/patients/{id}/_history/{vid}",
        "vread",
        "Read one version of a patient (FHIR vread; what a create's Location names)",
        (200, 400, 404, 410),
    ),
    Route(
        "updatePatient",
        "UpdatePatient",
        "patients/handlers.update_patient",
        "put",
        "/patients/{id}",
        "update",
        "Replace a patient (If-Match: the version read)",
        (200, 400, 404, 409, 410, 412, 413, 415, 428),
    ),
    Route(
        "deletePatient",
        "DeletePatient",
        "patients/handlers.delete_patient",
        "delete",
        "/patients/{id}",
        "delete",
        "Delete a patient (soft: the audit trail stays; deleting it again changes nothing)",
        (204, 400, 404, 412, 428),
    ),
    Route(
        "getPatientAudit",
        "GetPatientAudit",
        "patients/handlers.get_patient_audit",
        "get",
        "/patients/{id}/audit",
        "read-audit",
        "Read a patient's audit trail (admins of the organization)",
        (200, 400, 404),
    ),
    Route(
        "getOpenApi",
        "GetOpenApi",
        "patients/openapi.get_openapi",
        "get",
        "/openapi.json",
        None,
        "This document (OpenAPI 3.1)",
        (200,),
    ),
    Route(
        "getMetadata",
        "GetMetadata",
        "patients/capability.get_metadata",
        "get",
        "/metadata",
        None,
        "The FHIR CapabilityStatement: what this server supports",
        (200,),
    ),
)
BY_OPERATION = {route.operation: route for route in ROUTES}
