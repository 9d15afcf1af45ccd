"""The CapabilityStatement (GET /metadata): valid FHIR R4, and what the routes serve. No I/O."""

from __future__ import annotations

import json
from pathlib import Path

from fhir_r4 import assert_r4
from patients.capability import capability_statement, get_metadata
from patients.routes import ROUTES

EVENTS = Path(__file__).resolve().parent.parent / "events"


def test_the_statement_is_a_valid_r4_capability_statement():
    """FHIR R4 http.html#capabilities: "Servers SHALL provide a Capability Statement"."""
    statement = assert_r4(capability_statement("http://127.0.0.1:3004"))
    assert statement["fhirVersion"] == "4.0.1"
    assert statement["implementation"]["url"] == "http://127.0.0.1:3004"


def test_it_lists_the_interactions_the_routes_serve_and_no_others():
    (patient,) = capability_statement("http://x")["rest"][0]["resource"]
    assert patient["type"] == "Patient"
    codes = {i["code"] for i in patient["interaction"]}
    assert codes == {"read", "vread", "update", "delete", "search-type", "create"}
    actions = {route.action for route in ROUTES} - {None, "read-audit"}
    assert len(codes) == len(actions)
    assert [p["name"] for p in patient["searchParam"]] == [
        "family",
        "given",
        "birthdate",
        "identifier",
    ]
    assert (patient["versioning"], patient["readHistory"]) == ("versioned-update", True)


def test_the_function_answers_the_sample_event():
    reply = get_metadata(json.loads((EVENTS / "getMetadata.json").read_text()), None)
    assert reply["statusCode"] == 200
    assert reply["headers"]["Content-Type"].startswith("application/fhir+json")
    body = assert_r4(json.loads(reply["body"]))
    assert body["implementation"]["url"] == "http://127.0.0.1:3000"
