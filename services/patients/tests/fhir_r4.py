"""FHIR R4 validation of what the service answers, with an independent FHIR model library.

fhirclient's models are generated from the FHIR 4.0.1 (R4) StructureDefinitions; in strict
mode they refuse unknown elements, missing required ones (cardinality 1..), a list where
one value belongs and the reverse, wrong JSON types and malformed date, dateTime and
instant values. (fhir.resources 8 has no R4 module: R5, R4B and STU3.) What they do not
check is added here: FHIR JSON's own rules (no nulls, no empty objects or arrays), the
id datatype, and the required bindings of the elements this service fills.
"""

from __future__ import annotations

import re
from typing import Any

from fhirclient.models.auditevent import AuditEvent
from fhirclient.models.bundle import Bundle
from fhirclient.models.capabilitystatement import CapabilityStatement
from fhirclient.models.fhirabstractbase import FHIRValidationError
from fhirclient.models.operationoutcome import OperationOutcome
from fhirclient.models.patient import Patient

_MODELS = {
    "AuditEvent": AuditEvent,
    "Bundle": Bundle,
    "CapabilityStatement": CapabilityStatement,
    "OperationOutcome": OperationOutcome,
    "Patient": Patient,
}
_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # datatypes.html#id
# Required bindings (auditevent.html, bundle.html, capabilitystatement.html).
_CODES = {
    ("AuditEvent", "action"): {"C", "R", "U", "D", "E"},
    ("AuditEvent", "outcome"): {"0", "4", "8", "12"},
    ("Bundle", "type"): {"searchset"},
    ("CapabilityStatement", "status"): {"draft", "active", "retired", "unknown"},
    ("CapabilityStatement", "kind"): {"instance", "capability", "requirements"},
}


class NotFhirR4(AssertionError):
    pass


def _fhir_json(value: Any, path: str) -> None:
    """json.html: "empty objects and arrays are not allowed", nor null values."""
    if value is None:
        raise NotFhirR4(f"{path} is null")
    if isinstance(value, dict):
        if not value:
            raise NotFhirR4(f"{path} is an empty object")
        for key, item in value.items():
            _fhir_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        if not value:
            raise NotFhirR4(f"{path} is an empty array")
        for i, item in enumerate(value):
            _fhir_json(item, f"{path}[{i}]")


def _resources(resource: dict[str, Any]) -> list[dict[str, Any]]:
    """The resource and those a Bundle holds."""
    inner = [e["resource"] for e in resource.get("entry", []) if "resource" in e]
    return [resource, *(r for found in inner for r in _resources(found))]


def assert_r4(resource: Any) -> dict[str, Any]:
    """``resource`` if it is a valid FHIR R4 resource; NotFhirR4 saying why otherwise."""
    if not isinstance(resource, dict) or resource.get("resourceType") not in _MODELS:
        raise NotFhirR4(f"not a resource this service answers: {resource!r:.80}")
    _fhir_json(resource, resource["resourceType"])
    try:
        _MODELS[resource["resourceType"]](resource, strict=True)
    except (FHIRValidationError, TypeError, ValueError) as exc:
        raise NotFhirR4(str(exc)) from None
    for found in _resources(resource):
        kind = found["resourceType"]
        if "id" in found and not _ID.fullmatch(found["id"]):
            raise NotFhirR4(f"{kind}.id is not a FHIR id: {found['id']!r}")
        for (of, element), allowed in _CODES.items():
            if kind == of and found.get(element) not in allowed:
                raise NotFhirR4(f"{kind}.{element} is not in its value set: {found[element]!r}")
    return resource
