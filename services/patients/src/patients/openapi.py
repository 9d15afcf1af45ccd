"""The API's OpenAPI 3.1 document, generated from the code that defines the API:
the routes and their scopes (``routes.py``), the Patient clients send (``fhir.py``),
the answers (``resources.py``), the refusals (``errors.py``), the search parameters
(``search.py``), the ETag and id formats (``domain.py``) and the accepted media types
(``http.py``). Pure, except ``get_openapi``: the GetOpenApi function's handler, which
serves the document at GET /openapi.json with the API the request came through as its
server.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Callable
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from patients import errors, fhir, resources, search
from patients.domain import ETAG_PATTERN, VERSION_PATTERN
from patients.fhir import UUID_PATTERN
from patients.http import ACCEPTED_TYPES, FHIR_JSON, FORM, from_event
from patients.routes import ROUTES, Route
from patients.service import AUDIT_PAGE, MAX_AUDIT_PAGE

API_VERSION = "1.0.0"
MEDIA_TYPE = "application/vnd.oai.openapi+json"
SCHEME = "identityJwt"
_JSON = "application/json"
_SCHEMAS = "#/components/schemas/"
_GATEWAY_ANSWERS = {  # what API Gateway itself answers (application/json), by status
    401: "Unauthorized",  # the JWT authorizer: no token, or not a valid one
    403: "Forbidden",  # the JWT authorizer: the token lacks the route's scope
    500: "Internal Server Error",  # the function failed
    503: "Service Unavailable",  # the function timed out
}
# What every operation with a token may answer besides its own statuses.
_EVERY_OPERATION = (401, 403, 406, 500, 503)


class _FhirJsonSchema(GenerateJsonSchema):
    """pydantic's JSON Schema, as FHIR JSON is: an element is left out, never null
    (fhir.Element refuses nulls); no per-property titles."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        if schema.get("default", ...) is None:
            return self.generate_inner(schema["schema"])
        return super().default_schema(schema)

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _SCHEMAS + name}


def _doc(obj: object) -> str:
    return inspect.cleandoc(obj.__doc__ or "")


def _schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(model, "validation") for model in resources.MODELS],
        ref_template=_SCHEMAS + "{model}",
        schema_generator=_FhirJsonSchema,
    )
    schemas: dict[str, Any] = top["$defs"]
    schemas["Patient"]["description"] = _doc(fhir).replace("``", "`")  # rST to Markdown
    for status, message in _GATEWAY_ANSWERS.items():
        schemas[f"Gateway{status}"] = {
            "description": f"API Gateway's own answer ({status} {message}).",
            "type": "object",
            "properties": {"message": {"const": message}},
            "required": ["message"],
            "additionalProperties": False,
        }
    return schemas


def _refusals() -> dict[int, type[errors.FhirError]]:
    found: dict[int, type[errors.FhirError]] = {500: errors.FhirError}
    for cls in errors.FhirError.__subclasses__():
        found[cls.status] = cls
    return found


def _outcome(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {FHIR_JSON: {"schema": _ref("OperationOutcome")}},
    }


def _shared_responses() -> dict[str, Any]:
    """The refusals every operation shares; some come from the gateway (application/json)
    or from the function (an OperationOutcome), whichever refused."""
    refusals = _refusals()
    shared: dict[str, Any] = {}
    for status in _EVERY_OPERATION:
        response = _outcome(_doc(refusals[status]))
        if status in _GATEWAY_ANSWERS:
            response["description"] = (
                f"{response['description']} Or API Gateway's own {status}"
                f' {{"message":"{_GATEWAY_ANSWERS[status]}"}} (application/json).'
            )
            response["content"][_JSON] = {"schema": _ref(f"Gateway{status}")}
        shared[str(status)] = response
    return shared


def _headers() -> dict[str, Any]:
    return {
        "ETag": {
            "description": 'The version of the record (W/"<n>"): send it as If-Match.',
            "required": True,
            "schema": {"type": "string", "pattern": r'^W/"[1-9][0-9]*"$'},
        },
        "Last-Modified": {
            "description": "When the record last changed (an HTTP date).",
            "required": True,
            "schema": {"type": "string", "minLength": 1},
        },
        "Location": {
            "description": (
                "The new record's first version, as FHIR R4 create answers it:"
                " [base]/patients/[id]/_history/1."
            ),
            "required": True,
            "schema": {
                "type": "string",
                "pattern": rf"^https?://[^/]+(/[^/]+)?/patients/{UUID_PATTERN[1:-1]}/_history/1$",
            },
        },
        "Cache-Control": {
            "description": "Answers hold PHI: never cached.",
            "required": True,
            "schema": {"const": "no-store"},
        },
    }


def _header_refs(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _search_value(name: str, what: str) -> dict[str, Any]:
    # Up to MAX_VALUES values, comma-separated; each 1 to MAX_LENGTH characters once
    # trimmed (search._values), none of them a control character.
    blank, solid = f"[{fhir.BLANK_CHARS}]", fhir.SOLID.replace("[^", "[^,", 1)
    inner = fhir.ALLOWED.replace("[^", "[^,", 1)
    value = rf"{blank}*{solid}(?:{inner}{{0,{search.MAX_LENGTH - 2}}}{solid})?{blank}*"
    return {
        "name": name,
        "in": "query",
        "description": (
            f"{what} Several values separated by commas (at most {search.MAX_VALUES},"
            f" each at most {search.MAX_LENGTH} characters) match any of them."
        ),
        "schema": {
            "type": "string",
            "pattern": rf"^{value}(?:,{value}){{0,{search.MAX_VALUES - 1}}}$",
        },
    }


def _count(default: int, most: int) -> dict[str, Any]:
    return {
        "name": "_count",
        "in": "query",
        "description": "How many results a page holds.",
        "schema": {"type": "integer", "minimum": 1, "maximum": most, "default": default},
    }


_CURSOR = {
    "name": "_cursor",
    "in": "query",
    "description": "Where the page starts: take it from the previous page's next link.",
    "schema": {"type": "string", "minLength": 1},
}


def _search_parameters() -> list[dict[str, Any]]:
    date = fhir.DATE_PATTERN.removeprefix("^").removesuffix("$")
    blank = f"[{fhir.BLANK_CHARS}]"
    documented = {
        "family": _search_value(
            "family", "A family name starts with the value (any case, accents)."
        ),
        "given": _search_value("given", "A given name starts with the value (any case, accents)."),
        "identifier": _search_value(
            "identifier",
            "An identifier: system|value, value (any system), |value (no system) or system|.",
        ),
        "birthdate": {
            "name": "birthdate",
            "in": "query",
            "description": (
                "The birth date: a FHIR date, with an optional prefix"
                f" ({', '.join(search.PREFIXES)}), compared as FHIR compares ranges."
            ),
            "schema": {
                "type": "string",
                "pattern": rf"^{blank}*(?:{'|'.join(search.PREFIXES)})?{date}{blank}*$",
            },
        },
        "_count": _count(search.DEFAULT_COUNT, search.MAX_COUNT),
        "_cursor": _CURSOR,
    }
    return [documented[name] for name in search.PARAMETERS]  # each one, or a KeyError


def _if_match(*, required: bool) -> dict[str, Any]:
    return {
        "name": "If-Match",
        "in": "header",
        "required": required,
        "description": "The ETag of the version being changed (from the last read)."
        + ("" if required else " Without it, any version is deleted."),
        "schema": {"type": "string", "pattern": ETAG_PATTERN},
    }


def _patient_links() -> dict[str, Any]:
    by_id = {"id": "$response.body#/id"}
    versioned = {**by_id, "header.If-Match": "$response.header.ETag"}
    return {
        "GetPatient": {"operationId": "getPatient", "parameters": by_id},
        "GetPatientVersion": {
            "operationId": "vreadPatient",
            "parameters": {**by_id, "vid": "$response.body#/meta/versionId"},
        },
        "UpdatePatient": {  # FHIR R4 http.html#update: a client PUTs what it read
            "operationId": "updatePatient",
            "parameters": versioned,
            "requestBody": "$response.body",
        },
        "DeletePatient": {"operationId": "deletePatient", "parameters": versioned},
        "GetPatientAudit": {"operationId": "getPatientAudit", "parameters": by_id},
    }


def _patient_answer(description: str, *headers: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _header_refs("ETag", "Last-Modified", *headers, "Cache-Control"),
        "content": {FHIR_JSON: {"schema": _ref("PatientResource")}},
        "links": _patient_links(),
    }


def _bundle(description: str, schema: str) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _header_refs("Cache-Control"),
        "content": {FHIR_JSON: {"schema": _ref(schema)}},
    }


_SUCCESS: dict[str, Callable[[], dict[str, Any]]] = {
    "searchPatients": lambda: _bundle("The matching patients, a page at a time.", "PatientBundle"),
    "searchPatientsByPost": lambda: _bundle(
        "The matching patients, a page at a time (next links are GET searches).", "PatientBundle"
    ),
    "createPatient": lambda: _patient_answer("The patient as recorded.", "Location"),
    "getPatient": lambda: _patient_answer("The patient."),
    "vreadPatient": lambda: _patient_answer("The patient as it was at that version."),
    "updatePatient": lambda: _patient_answer("The patient as changed (a new version)."),
    "deletePatient": lambda: {"description": "Deleted."},
    "getPatientAudit": lambda: _bundle("The audit trail, a page at a time.", "AuditBundle"),
    "getMetadata": lambda: {
        "description": "The CapabilityStatement (FHIR R4 http.html#capabilities).",
        "content": {
            FHIR_JSON: {
                "schema": {
                    "type": "object",
                    "required": ["resourceType", "fhirVersion", "rest"],
                    "properties": {
                        "resourceType": {"const": "CapabilityStatement"},
                        "fhirVersion": {"const": "4.0.1"},
                    },
                }
            }
        },
    },
    "getOpenApi": lambda: {
        "description": "This document.",
        "content": {MEDIA_TYPE: {"schema": {"type": "object", "required": ["openapi", "paths"]}}},
    },
}


def _patient_body(schema: str) -> dict[str, Any]:
    return {
        "required": True,
        "content": {media: {"schema": _ref(schema)} for media in ACCEPTED_TYPES},
    }


def _search_form() -> dict[str, Any]:
    """FHIR's POST search: the search parameters as a form (they may be in the URL too)."""
    properties = {p["name"]: p["schema"] for p in _search_parameters()}
    return {
        "required": False,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "properties": properties,
                    "additionalProperties": False,
                }
            }
        },
    }


_REQUEST_BODIES: dict[str, Callable[[], dict[str, Any]]] = {
    "createPatient": lambda: _patient_body("Patient"),
    "updatePatient": lambda: _patient_body("PatientUpdate"),  # a Patient as read
    "searchPatientsByPost": _search_form,
}
_PARAMETERS: dict[str, Callable[[], list[dict[str, Any]]]] = {
    "searchPatients": _search_parameters,
    "updatePatient": lambda: [_if_match(required=True)],
    "deletePatient": lambda: [_if_match(required=False)],
    "getPatientAudit": lambda: [_count(AUDIT_PAGE, MAX_AUDIT_PAGE), _CURSOR],
}


def _operation(route: Route) -> dict[str, Any]:
    refusals = _refusals()
    responses: dict[str, Any] = {}
    for status in route.statuses:
        if status < 400:
            responses[str(status)] = _SUCCESS[route.operation]()
        else:
            responses[str(status)] = _outcome(_doc(refusals[status]))
    operation: dict[str, Any] = {
        "operationId": route.operation,
        "summary": route.summary,
        "tags": [
            "meta"
            if route.action is None
            else "audit"
            if route.scope == "patients:audit"
            else "patients"
        ],
    }
    if route.action is None:
        operation["security"] = []  # the route's Auth: {Authorizer: NONE}
    else:
        operation["security"] = [{SCHEME: [route.scope]}]
        for status in _EVERY_OPERATION:
            responses[str(status)] = {"$ref": f"#/components/responses/{status}"}
    parameters = _PARAMETERS.get(route.operation, list)()
    if "{vid}" in route.path:
        parameters = [{"$ref": "#/components/parameters/vid"}, *parameters]
    if "{id}" in route.path:
        parameters = [{"$ref": "#/components/parameters/id"}, *parameters]
    if parameters:
        operation["parameters"] = parameters
    if route.operation in _REQUEST_BODIES:
        operation["requestBody"] = _REQUEST_BODIES[route.operation]()
    operation["responses"] = dict(sorted(responses.items()))
    return operation


@functools.cache
def _document() -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "patients",
            "version": API_VERSION,
            "description": (
                "Patient records as FHIR R4 Patient resources (seed 000). Tokens are"
                " identity's JWTs (audience patients); a token needs the route's scope"
                " and the role: clinician (their organization's records), patient (their"
                " own record), admin (audit trails). Every access is audited."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(),
            "responses": _shared_responses(),
            "parameters": {
                "id": {
                    "name": "id",
                    "in": "path",
                    "required": True,
                    "description": "The patient's id (a lowercase UUID).",
                    "schema": {"type": "string", "pattern": UUID_PATTERN},
                },
                "vid": {
                    "name": "vid",
                    "in": "path",
                    "required": True,
                    "description": "A version of the patient (its meta.versionId: 1, 2, ...).",
                    "schema": {"type": "string", "pattern": VERSION_PATTERN},
                },
            },
            "headers": _headers(),
            "securitySchemes": {
                SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": (
                        "identity's access token, checked by API Gateway's JWT authorizer"
                        " (issuer, audience patients, expiry, the route's scope)."
                    ),
                }
            },
        },
    }


def document(base_url: str) -> dict[str, Any]:
    """The document, with ``base_url`` (the API's URL) as its server."""
    base = _document()
    return {
        "openapi": base["openapi"],
        "info": base["info"],
        "servers": [{"url": base_url}],
        **{k: v for k, v in base.items() if k not in ("openapi", "info")},
    }


def get_openapi(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """GetOpenApi (GET /openapi.json, no token): the document, for this API's URL."""
    body = json.dumps(document(from_event(event).base_url), separators=(",", ":"))
    return {
        "statusCode": 200,
        "headers": {
            "Content-Type": f"{MEDIA_TYPE};version=3.1",
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
        "body": body,
    }
