"""The OpenAPI document: valid OpenAPI 3.1, the same routes as template.yaml, schemas
that accept and refuse what the code accepts and refuses, and every answer the
service gives (run here with fakes) documented, schema and headers. No I/O."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import schemathesis
import yaml
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from patients import errors, fhir, search
from patients.domain import StoredPatient
from patients.http import FHIR_JSON, Reply, from_event
from patients.openapi import MEDIA_TYPE, document, get_openapi
from patients.routes import ROUTES
from patients_auth.policy import SCOPES
from patients_fakes import FakeAudit, FakeStore, R4Service

SERVICE = Path(__file__).resolve().parent.parent
DOC = document("http://127.0.0.1:3004")
TODAY = date(2026, 1, 15)
PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"use": "official", "system": "urn:mrn", "value": "MRN-1"}],
    "active": True,
    "name": [{"use": "official", "family": "Lovelace", "given": ["Ada", "Augusta"]}],
    "telecom": [{"system": "phone", "value": "+44 20 7946 0000", "use": "home", "rank": 1}],
    "gender": "female",
    "birthDate": "1815-12-10",
    "address": [{"use": "home", "line": ["12 St James's Square"], "city": "London"}],
}


def validator(schema: dict[str, Any]) -> jsonschema_rs.Validator:
    """A validator for ``schema`` whose $refs name the document's components.

    jsonschema-rs, as schemathesis uses: its regexes are ECMA-262's, where ``$`` is the
    end of the string (Python's ``re`` also matches it before a final newline).
    """
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": DOC["components"]}, validate_formats=True
    )


def component(name: str) -> jsonschema_rs.Validator:
    return validator({"$ref": f"#/components/schemas/{name}"})


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """A $ref followed to what it names (in the document)."""
    while "$ref" in node:
        target: Any = DOC
        for part in ref_path(node["$ref"]):
            target = target[part]
        node = target
    return node


def ref_path(ref: str) -> list[str]:
    assert ref.startswith("#/"), ref
    return ref[2:].split("/")


# -- the document ---------------------------------------------------------------------


def test_the_document_is_valid_openapi_3_1():
    schema = schemathesis.openapi.from_dict(DOC)
    schema.validate()  # against the OpenAPI 3.1 meta-schema
    assert DOC["openapi"] == "3.1.0"
    for definition in DOC["components"]["schemas"].values():
        Draft202012Validator.check_schema(definition)
    for ref in set(re.findall(r'"\$ref": "([^"]+)"', json.dumps(DOC))):
        assert resolve({"$ref": ref})  # every reference resolves
    ids = [op["operationId"] for item in DOC["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
    for item in DOC["paths"].values():
        for op in item.values():
            for response in op["responses"].values():
                for link in resolve(response).get("links", {}).values():
                    assert link["operationId"] in ids


def test_the_servers_entry_is_the_api_the_request_came_through():
    assert DOC["servers"] == [{"url": "http://127.0.0.1:3004"}]
    event = json.loads((SERVICE / "events" / "getOpenApi.json").read_text())
    reply = get_openapi(event, None)
    assert reply["statusCode"] == 200
    assert reply["headers"]["Content-Type"].startswith(MEDIA_TYPE)
    assert json.loads(reply["body"])["servers"] == [{"url": "http://127.0.0.1:3000"}]
    staged = {**event, "requestContext": {**event["requestContext"], "stage": "v1"}}
    staged["requestContext"]["domainName"] = "abc123.execute-api.eu-west-1.amazonaws.com"
    served = json.loads(get_openapi(staged, None)["body"])
    assert served["servers"] == [{"url": "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"}]
    assert served["paths"] == DOC["paths"]


class _CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub ...) as plain values."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def _template_routes() -> set[tuple[str, str, str, str, str | None]]:
    template = yaml.load((SERVICE / "template.yaml").read_text(), Loader=_CfnLoader)
    found = set()
    for name, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        for event in (props.get("Events") or {}).values():
            if event["Type"] != "HttpApi":
                continue
            p = event["Properties"]
            auth = p.get("Auth", {})
            scopes = auth.get("AuthorizationScopes") or []
            assert len(scopes) <= 1
            scope = None if auth.get("Authorizer") == "NONE" else scopes[0]
            found.add((name, props["Handler"], p["Method"], p["Path"], scope))
    return found


def test_the_routes_are_the_templates_http_api_events():
    assert _template_routes() == {
        (r.function, r.handler, r.method, r.path, r.scope) for r in ROUTES
    }


def test_the_document_has_every_route_with_its_scope():
    documented = {
        (
            method,
            path,
            op["operationId"],
            tuple(s for req in op["security"] for s in req.get("identityJwt", [])),
        )
        for path, item in DOC["paths"].items()
        for method, op in item.items()
    }
    assert documented == {
        (r.method, r.path, r.operation, (r.scope,) if r.scope else ()) for r in ROUTES
    }
    assert {r.scope for r in ROUTES if r.scope} == set(SCOPES.values())


def test_every_refusal_and_issue_type_is_documented():
    assert {cls.code for cls in errors.FhirError.__subclasses__()} <= set(errors.ISSUE_TYPES)
    assert set(fhir._CODES.values()) <= set(errors.ISSUE_TYPES)
    outcome = component("OperationOutcome")
    for cls in [errors.FhirError, *errors.FhirError.__subclasses__()]:
        outcome.validate(errors.operation_outcome(cls("why")))


def test_the_search_parameters_are_the_ones_the_code_reads():
    op = DOC["paths"]["/patients"]["get"]
    assert [p["name"] for p in op["parameters"]] == list(search.PARAMETERS)
    form = DOC["paths"]["/patients/_search"]["post"]["requestBody"]["content"]
    properties = form["application/x-www-form-urlencoded"]["schema"]["properties"]
    assert properties == {p["name"]: p["schema"] for p in op["parameters"]}


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("smith", True),
        (" smith , jones ", True),
        (",".join(["a"] * search.MAX_VALUES), True),
        (",".join(["a"] * (search.MAX_VALUES + 1)), False),
        ("x" * search.MAX_LENGTH, True),
        ("x" * (search.MAX_LENGTH + 1), False),
        ("", False),
        ("a,,b", False),
        ("a, ,b", False),
    ],
)
def test_the_name_parameters_pattern_is_what_the_search_accepts(value, accepted):
    pattern = DOC["paths"]["/patients"]["get"]["parameters"][0]["schema"]["pattern"]
    assert (re.search(pattern, value) is not None) == accepted
    try:
        search.parse_search({"family": value})
    except errors.Invalid:
        assert not accepted
    else:
        assert accepted


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        ("1990", True),
        ("ge1990-02", True),
        ("lt1990-02-28", True),
        ("ne1990", False),
        ("1990-13", False),
        ("90", False),
        ("1990-1-1", False),
        ("eq", False),
    ],
)
def test_the_birthdate_pattern_is_what_the_search_accepts(value, accepted):
    params = {p["name"]: p for p in DOC["paths"]["/patients"]["get"]["parameters"]}
    assert (re.search(params["birthdate"]["schema"]["pattern"], value) is not None) == accepted
    try:
        search.parse_search({"birthdate": value})
    except errors.Invalid:
        assert not accepted
    else:
        assert accepted


# -- the Patient schema against fhir.parse_patient ----------------------------------------


def _parsed(body: Any) -> bool:
    try:
        fhir.parse_patient(body, TODAY)
    except errors.Invalid:
        return False
    return True


@pytest.mark.parametrize(
    "body",
    [
        PATIENT,
        {"resourceType": "Patient"},
        {**PATIENT, "birthDate": "1815"},
        {**PATIENT, "name": [{"text": "Ada\tLovelace\n"}]},
        {**PATIENT, "telecom": [{"system": "email"}]},
        {**PATIENT, "id": "chosen", "meta": {"versionId": "9"}},  # create ignores both
        {**PATIENT, "managingOrganization": {"reference": "Organization/org-a"}},
    ],
)
def test_what_the_code_accepts_the_schema_accepts(body):
    assert _parsed(body)
    assert component("Patient").is_valid(body)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"resourceType": "Observation"},
        {"name": [{"family": "X"}]},  # no resourceType
        {**PATIENT, "id": "a b"},  # not a FHIR id
        {**PATIENT, "meta": {"profile": ["http://x"]}},
        {**PATIENT, "managingOrganization": {"reference": "Practitioner/1"}},
        {**PATIENT, "ssn": "x"},
        {**PATIENT, "active": "true"},
        {**PATIENT, "active": None},
        {**PATIENT, "name": []},
        {**PATIENT, "name": [{}]},
        {**PATIENT, "name": [{"family": "  "}]},
        {**PATIENT, "name": [{"family": "A\x00B"}]},
        {**PATIENT, "name": [{"family": "x" * 201}]},
        {**PATIENT, "gender": "F"},
        {**PATIENT, "birthDate": "17/07/1977"},
        {**PATIENT, "birthDate": "1990\n"},
        {**PATIENT, "birthDate": "\u0661\u0669\u0669\u0660"},  # Arabic-Indic digits
        {**PATIENT, "telecom": [{"value": "+1 555"}]},  # a value needs its system
        {**PATIENT, "telecom": [{"system": "phone", "rank": 0}]},
        {**PATIENT, "identifier": [{"system": "urn:a\x00", "value": "1"}]},
        {**PATIENT, "identifier": [{"type": {"coding": [{"code": "a\x00"}]}}]},
    ],
)
def test_what_the_schema_refuses_the_code_refuses(body):
    assert not component("Patient").is_valid(body)
    assert not _parsed(body)


AS_READ = {
    **PATIENT,
    "id": "00000000-0000-4000-8000-000000000001",
    "meta": {"versionId": "2", "lastUpdated": "2026-01-02T03:04:05.678Z"},
    "managingOrganization": {"reference": "Organization/org-a"},
}


@pytest.mark.parametrize(
    ("body", "accepted"),
    [
        (AS_READ, True),
        ({**AS_READ, "meta": {"versionId": "1"}}, True),
        ({k: v for k, v in AS_READ.items() if k != "id"}, False),  # http.html#update
        ({**AS_READ, "id": "chosen"}, False),  # never the URL's id (a UUID)
        ({**AS_READ, "meta": {"versionId": "2", "tag": [{"code": "x"}]}}, False),
    ],
)
def test_the_update_schema_is_what_an_update_accepts(body, accepted):
    """PUT's body: a Patient as read (FHIR R4 http.html#update)."""
    try:
        fhir.parse_patient(body, TODAY, fhir.PatientUpdate)
    except errors.Invalid:
        parsed = False
    else:
        parsed = True
    assert (parsed, component("PatientUpdate").is_valid(body)) == (accepted, accepted)


def test_what_the_service_answers_can_be_sent_back():
    """The document's link from a read to an update sends the body read: the PatientResource
    schema is within PatientUpdate's."""
    assert component("PatientUpdate").is_valid(AS_READ)
    component("PatientResource").validate(AS_READ)


@pytest.mark.parametrize(
    "body",
    [
        {**PATIENT, "birthDate": "1815-02-30"},  # not on the calendar
        {**PATIENT, "birthDate": "2026-01-16"},  # in the future
        {**PATIENT, "identifier": [{"system": "urn:a", "value": "1"}] * 2},
        {**PATIENT, "name": [{"period": {"start": "2020", "end": "2019-12-31"}}]},
        {**PATIENT, "telecom": [{"system": "phone", "rank": 1.0}]},  # FHIR integers
    ],
)
def test_what_json_schema_cannot_say_the_code_still_refuses(body):
    """The document describes these in words (the Patient schema's description)."""
    assert component("Patient").is_valid(body)
    assert not _parsed(body)


def test_blank_is_whitespace_to_python_and_to_ecma_less_the_control_characters():
    bmp = [chr(c) for c in range(0x10000)]  # no whitespace outside it
    blank = re.compile(f"[{fhir.BLANK_CHARS}]")
    assert {c for c in bmp if blank.fullmatch(c)} == {
        c for c in bmp if (c.isspace() or c == "\ufeff") and not fhir.CONTROL.fullmatch(c)
    }


_EDGES = ["", " ", "\t\n", " a ", "ok\r\n", "\x00", "a\x1fb", "a\x7f", "\x1c", "\x85"]
_TEXT = st.text(st.characters(codec="utf-8"), max_size=8) | st.sampled_from(
    [*_EDGES, "\u00a0", "\u2028", "\u3000x", "\ufeff", "\ufeffa"]
)


@given(_TEXT)
def test_the_text_pattern_is_the_string_validator(value):
    try:
        fhir._string(value)
    except ValueError:
        accepted = False
    else:
        accepted = True
    assert (re.fullmatch(fhir.TEXT_PATTERN, value) is not None) == accepted


@given(st.from_regex(r"[0-9]{1,4}(-[0-9]{1,2}(-[0-9]{1,2})?)?", fullmatch=True) | _TEXT)
def test_the_date_pattern_is_the_date_validator_but_for_the_calendar(value):
    try:
        fhir.date_bounds(value)
    except ValueError as exc:
        accepted = "calendar" in str(exc)  # the pattern matches; the calendar refuses
    else:
        accepted = True
    assert (re.fullmatch(fhir.DATE_PATTERN, value) is not None) == accepted


# -- every answer the service gives is documented ------------------------------------------


def _operation(route_operation: str) -> dict[str, Any]:
    for item in DOC["paths"].values():
        for op in item.values():
            if op["operationId"] == route_operation:
                return op
    raise KeyError(route_operation)


def assert_documented(operation: str, reply: Reply) -> None:
    """What schemathesis checks over HTTP: the status, media type, schema and headers."""
    responses = _operation(operation)["responses"]
    assert str(reply.status) in responses, (operation, reply.status)
    response = resolve(responses[str(reply.status)])
    api = reply.to_api_gateway()
    media = api["headers"]["Content-Type"].split(";")[0]
    if reply.body is None:
        assert "content" not in response
    else:
        assert media in response["content"], (operation, reply.status, media)
        schema = response["content"][media]["schema"]
        validator(schema).validate(json.loads(api["body"]))
    for name, ref in response.get("headers", {}).items():
        header = resolve(ref)
        value = api["headers"].get(name)
        assert value is not None or not header.get("required"), (operation, name)
        if value is not None:
            validator(header["schema"]).validate(value)


CLINICIAN = {"sub": "doc-a", "roles": "[clinician]", "org": "org-a"}
ADMIN = {"sub": "adm-a", "roles": "[admin]", "org": "org-a"}
RW = ["patients:read", "patients:write"]


def event(pid=None, body=None, claims=CLINICIAN, scopes=RW, headers=None, query=None):
    ev: dict[str, Any] = {
        "headers": {"host": "127.0.0.1:3004", **(headers or {})},
        "requestContext": {"requestId": "req-1", "stage": "$default"},
    }
    if claims is not None:
        ev["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": scopes}}
    if pid:
        ev["pathParameters"] = {"id": pid}
    if body is not None:
        ev["body"] = body if isinstance(body, str) else json.dumps(body)
        ev["headers"].setdefault("content-type", FHIR_JSON)
    if query:
        ev["queryStringParameters"] = query
    return from_event(ev)


def test_every_answer_of_the_service_is_documented():
    store = FakeStore()
    counter = iter(range(1, 10_000))
    app = R4Service(  # every answer: as documented, and valid FHIR R4
        store,
        FakeAudit(store),
        clock=lambda: datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        ids=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
    )
    answers: set[tuple[str, int]] = set()

    def call(action: str, operation: str, request: Any) -> Reply:
        reply, _ = app.handle(action, request)  # type: ignore[arg-type]
        assert_documented(operation, reply)
        answers.add((operation, reply.status))
        return reply

    pid = call("create", "createPatient", event(body=PATIENT)).body["id"]
    other = {**PATIENT, "identifier": [{"system": "urn:mrn", "value": "MRN-2"}]}
    call("create", "createPatient", event(body=other))
    call("create", "createPatient", event(body=PATIENT))  # 409: the same MRN
    call("create", "createPatient", event(body={**PATIENT, "gender": "F"}))
    call("create", "createPatient", event(body="{}", headers={"content-type": "text/plain"}))
    call("create", "createPatient", event(body="x" * 70_000))
    call("create", "createPatient", event(body=PATIENT, claims={"roles": "[clinician]"}))
    call("create", "createPatient", event(body=PATIENT, scopes=["patients:read"]))
    call("read", "getPatient", event(pid, headers={"accept": "text/html"}))
    call("read", "getPatient", event(pid))
    call("read", "getPatient", event("not-a-uuid"))
    call("read", "getPatient", event("00000000-0000-4000-8000-000000009999"))
    call("search", "searchPatients", event(query={"_count": "1", "family": "love"}))
    call("search", "searchPatients", event(query={"nickname": "x"}))
    form = {"content-type": "application/x-www-form-urlencoded"}
    for body, headers in [
        ("family=love&_count=1", form),  # 200
        ("nickname=x", form),  # 400
        ("family=love", {"content-type": "text/plain"}),  # 415
        ("family=" + "x" * 70_000, form),  # 413
    ]:
        request = replace(event(body=body, headers=headers), method="POST")
        call("search", "searchPatientsByPost", request)
    read = call("read", "getPatient", event(pid)).body
    call("update", "updatePatient", event(pid, read))  # 428
    call("update", "updatePatient", event(pid, read, headers={"if-match": 'W/"9"'}))
    call("update", "updatePatient", event(pid, PATIENT, headers={"if-match": 'W/"1"'}))  # no id
    call("update", "updatePatient", event(pid, read, headers={"if-match": 'W/"1"'}))
    call("read-audit", "getPatientAudit", event(pid, claims=ADMIN, scopes=["patients:audit"]))
    call(
        "read-audit",
        "getPatientAudit",
        event(pid, query={"_count": "0"}, claims=ADMIN, scopes=["patients:audit"]),
    )
    call("delete", "deletePatient", event(pid, headers={"if-match": 'W/"2"'}))
    call("delete", "deletePatient", event(pid))  # deleted already: 204 again
    call("read", "getPatient", event(pid))  # 410
    for vid in ("1", "2", "3", "4", "x"):  # 200, 200, 410 (the deletion), 404, 400
        call("vread", "vreadPatient", replace(event(pid), path_version=vid))
    assert {status for op, status in answers if op == "vreadPatient"} == {200, 400, 404, 410}
    assert {s for op, s in answers if op == "searchPatientsByPost"} == {200, 400, 413, 415}
    assert {status for _, status in answers} >= {
        200,
        201,
        204,
        400,
        401,
        403,
        404,
        406,
        409,
        410,
        412,
        413,
        415,
        428,
    }


def test_a_search_page_with_a_next_link_and_a_stored_patient_are_documented():
    stored = StoredPatient(
        id="00000000-0000-4000-8000-000000000001",
        organization="org-a",
        user_id=None,
        version=3,
        content=fhir.content_of(fhir.parse_patient(PATIENT, TODAY)),
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    )
    component("PatientResource").validate(stored.resource())
    query = search.parse_search({"_count": "1", "given": "ada"})
    page = search.bundle([stored, stored], query, {"_count": "1"}, "http://127.0.0.1:3004")
    assert [link["relation"] for link in page["link"]] == ["self", "next"]
    component("PatientBundle").validate(page)
