"""The FHIR R4 CapabilityStatement of this API (GET [base]/metadata, no token).

FHIR R4 http.html#capabilities: "Servers SHALL provide a Capability Statement that
specifies which interactions and resources are supported." It is made from the route
table (``routes.py``), so it lists what the functions answer and nothing else: Patient
with read, vread, update, delete, search-type and create, its search parameters, and the
bearer tokens (SMART-style OAuth) the gateway checks. Pure, except ``get_metadata``: the
GetMetadata function's handler.
"""

from __future__ import annotations

import json
from typing import Any

from patients.http import BASE_HEADERS, from_event
from patients.routes import ROUTES

FHIR_VERSION = "4.0.1"
PUBLISHED = "2026-12-07"  # when this statement last changed (CapabilityStatement.date)
# restful-interaction codes of the routes' actions (read-audit is not a FHIR URL).
_INTERACTIONS = {
    "read": "read",
    "vread": "vread",
    "update": "update",
    "delete": "delete",
    "search": "search-type",
    "create": "create",
}
_SEARCH_PARAMS = (  # search.py reads these; their definitions are FHIR's own Patient ones
    ("family", "string", "A family name starts with the value (any case, accents)"),
    ("given", "string", "A given name starts with the value (any case, accents)"),
    ("birthdate", "date", "eq, lt, le, gt, ge on the birth date's range"),
    ("identifier", "token", "system|value, value, |value or system|"),
)


def _patient() -> dict[str, Any]:
    actions = {route.action for route in ROUTES if route.action is not None}
    codes = [code for action, code in _INTERACTIONS.items() if action in actions]
    return {
        "type": "Patient",
        "documentation": "At [base]/patients (not [base]/Patient): /patients/[id],"
        " /patients/[id]/_history/[vid], /patients?... and /patients/_search.",
        "interaction": [{"code": code} for code in codes],
        "versioning": "versioned-update",  # updates need If-Match: W/"<versionId>"
        "readHistory": "vread" in actions,
        "updateCreate": False,
        "conditionalCreate": False,
        "conditionalRead": "not-supported",
        "conditionalUpdate": False,
        "conditionalDelete": "not-supported",
        "searchParam": [
            {
                "name": name,
                "definition": f"http://hl7.org/fhir/SearchParameter/individual-{name}"
                if name in ("family", "given", "birthdate")
                else "http://hl7.org/fhir/SearchParameter/Patient-identifier",
                "type": kind,
                "documentation": text,
            }
            for name, kind, text in _SEARCH_PARAMS
        ],
    }


def capability_statement(base_url: str) -> dict[str, Any]:
    """The statement for the API at ``base_url``."""
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": PUBLISHED,
        "kind": "instance",
        "software": {"name": "patients (serverlite seed 000)"},
        "implementation": {"description": "Patient records", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Every access is audited; admins read a patient's trail at"
                " GET [base]/patients/[id]/audit (a Bundle of AuditEvents).",
                "security": {
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/"
                                    "restful-security-service",
                                    "code": "OAuth",
                                }
                            ]
                        }
                    ],
                    "description": "A bearer JWT from identity (audience patients) with the"
                    " route's scope: patients:read, patients:write or patients:audit.",
                },
                "resource": [_patient()],
            }
        ],
    }


def get_metadata(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GetMetadata (GET /metadata, no token): the capability statement."""
    body = capability_statement(from_event(event).base_url)
    return {
        "statusCode": 200,
        "headers": {**BASE_HEADERS, "Cache-Control": "no-cache"},
        "body": json.dumps(body, separators=(",", ":")),
    }
