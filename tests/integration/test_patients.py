"""patients (seed 000) end to end: HTTP -> gateway (JWT authorizer) -> functions ->
PostgreSQL (the embedded server) -> audit events on EventBridge -> the audit table.

Tokens come from a test issuer (patients_service.jwt_issuer). The last test stops the
server and scans every log line the run produced for the PHI the tests sent.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from serverlite.observe.logs import LogStore
from tests.integration.conftest import Server, aws_client, lambda_client
from tests.integration.patients_service import (
    ADMIN_A,
    ADMIN_B,
    DOC_A,
    DOC_B,
    SERVICE,
    Issuer,
    assert_r4,
    jwt_issuer,
    patients_up,
)

pytestmark = pytest.mark.integration
USER_LINK = "urn:serverlite:identity:user"
FHIR = "application/fhir+json"

# Every PHI value a test sends is listed here; no log line may contain any of them.
SENT_PHI: set[str] = set()


def patient(family: str, given: str, birth: str, mrn: str, **more: Any) -> dict[str, Any]:
    body = {
        "resourceType": "Patient",
        "identifier": [{"system": "urn:mrn", "value": mrn}],
        "active": True,
        "name": [{"use": "official", "family": family, "given": [given]}],
        "telecom": [
            {"system": "phone", "value": f"+1 555 01{mrn[-2:]} 77", "use": "home"},
            {"system": "email", "value": f"{given.lower()}.{family.lower()}@example.org"},
        ],
        "gender": "female",
        "birthDate": birth,
        "address": [{"line": [f"{mrn[-3:]} Evergreen Terrace"], "city": "Springfieldia"}],
        **more,
    }
    SENT_PHI.update(
        {family, given, birth, mrn, f"{given.lower()}.{family.lower()}@example.org"}
        | {f"+1 555 01{mrn[-2:]} 77", f"{mrn[-3:]} Evergreen Terrace", "Springfieldia"}
    )
    return body


@dataclass
class System:
    server: Server
    url: str
    http: httpx.Client
    issuer: Issuer

    def headers(self, who: dict[str, Any], **extra: str) -> dict[str, str]:
        return {**self.issuer.bearer(**who), **extra}

    def create(self, body: dict[str, Any], who: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(
            f"{self.url}/patients", json=body, headers=self.headers(who, **{"Content-Type": FHIR})
        )
        assert response.status_code == 201, response.text
        return response.json()

    def get(self, pid: str, who: dict[str, Any]) -> httpx.Response:
        return self.http.get(f"{self.url}/patients/{pid}", headers=self.headers(who))

    def audit(self, pid: str, who: dict[str, Any], wanted: int, timeout: float = 15) -> list:
        """The audit trail once it holds ``wanted`` events (the consumer is asynchronous)."""
        deadline = time.monotonic() + timeout
        entries: list = []
        while time.monotonic() < deadline:
            response = self.http.get(f"{self.url}/patients/{pid}/audit", headers=self.headers(who))
            assert response.status_code == 200, response.text
            entries = [e["resource"] for e in response.json().get("entry", [])]
            if len(entries) >= wanted:
                return entries
            time.sleep(0.2)
        raise AssertionError(f"the audit trail has {len(entries)} events, not {wanted}")


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with jwt_issuer() as issuer:
        yield issuer


@pytest.fixture(scope="module")
def system(issuer: Issuer) -> Iterator[System]:
    with patients_up(issuer) as (server, url), httpx.Client(timeout=30) as http:
        yield System(server, url, http, issuer)


@pytest.mark.slow  # waits for the asynchronous audit consumer
def test_create_read_update_search_delete_and_the_audit_trail(system: System) -> None:
    http, url = system.http, system.url
    response = http.post(
        f"{url}/patients",
        json=patient("Quintavalle", "Rosalind", "1957-03-14", "MRN-5501"),
        headers=system.headers(DOC_A, **{"Content-Type": FHIR}),
    )
    assert response.status_code == 201, response.text
    created = assert_r4(response.json())
    pid = created["id"]
    assert created["meta"]["versionId"] == "1"
    # FHIR R4 http.html#create: Location is [base]/[type]/[id]/_history/[vid].
    assert response.headers["location"] == f"{url}/patients/{pid}/_history/1"
    first = http.get(response.headers["location"], headers=system.headers(DOC_A))  # vread
    assert (first.status_code, first.headers["etag"]) == (200, 'W/"1"')
    assert assert_r4(first.json()) == created

    read = system.get(pid, DOC_A)
    assert read.status_code == 200
    assert read.headers["content-type"].startswith(FHIR)
    assert read.headers["etag"] == 'W/"1"'
    assert read.headers["cache-control"] == "no-store"
    assert assert_r4(read.json()) == created

    # FHIR R4 http.html#update: the client sends back what it read (id, meta and all).
    changed = {**read.json(), "gender": "other"}
    write = system.headers(DOC_A, **{"Content-Type": FHIR})
    assert http.put(f"{url}/patients/{pid}", json=changed, headers=write).status_code == 428
    stale = http.put(f"{url}/patients/{pid}", json=changed, headers={**write, "If-Match": 'W/"9"'})
    assert stale.status_code == 412
    assert stale.json()["issue"][0]["code"] == "conflict"
    updated = http.put(
        f"{url}/patients/{pid}", json=changed, headers={**write, "If-Match": 'W/"1"'}
    )
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == 'W/"2"'
    assert assert_r4(updated.json())["meta"]["versionId"] == "2"
    assert system.get(pid, DOC_A).json()["gender"] == "other"

    for query in (
        {"family": "quinta"},
        {"given": "ROSA"},
        {"birthdate": "1957-03"},
        {"birthdate": "ge1957-03-14"},
        {"identifier": "urn:mrn|MRN-5501"},
        {"identifier": "MRN-5501", "family": "Quintavalle"},
    ):
        found = http.get(f"{url}/patients", params=query, headers=system.headers(DOC_A))
        assert found.status_code == 200, (query, found.text)
        assert_r4(found.json())
        assert [e["resource"]["id"] for e in found.json()["entry"]] == [pid], query
    # http.html#search: POST [base]/[type]/_search, the parameters in a form body.
    posted = http.post(
        f"{url}/patients/_search",
        data={"family": "quinta", "birthdate": "1957-03-14"},
        headers=system.headers(DOC_A),
    )
    assert posted.status_code == 200, posted.text
    assert [e["resource"]["id"] for e in assert_r4(posted.json())["entry"]] == [pid]
    none = http.get(
        f"{url}/patients", params={"birthdate": "lt1957"}, headers=system.headers(DOC_A)
    )
    assert "entry" not in none.json()

    gone = http.delete(f"{url}/patients/{pid}", headers={**write, "If-Match": 'W/"2"'})
    assert gone.status_code == 204
    assert system.get(pid, DOC_A).status_code == 410
    # http.html#delete: deleting a deleted resource "has no effect": 204 again.
    assert http.delete(f"{url}/patients/{pid}", headers=write).status_code == 204
    # http.html#vread: the versions stay readable; the deletion's is 410.
    history = f"{url}/patients/{pid}/_history"
    second = http.get(f"{history}/2", headers=system.headers(DOC_A))
    assert (second.status_code, second.json()["gender"]) == (200, "other")
    assert http.get(f"{history}/3", headers=system.headers(DOC_A)).status_code == 410
    after = http.get(f"{url}/patients", params={"family": "quinta"}, headers=system.headers(DOC_A))
    assert "entry" not in after.json()

    trail = system.audit(pid, ADMIN_A, wanted=19)  # deleted, and the history stays
    for event in trail:
        assert_r4(event)
    interactions = [(e["subtype"][0]["code"], e["outcome"]) for e in trail]
    assert interactions[:6] == [
        ("create", "0"),
        ("vread", "0"),
        ("read", "0"),
        ("update", "4"),  # 428
        ("update", "4"),  # 412
        ("update", "0"),
    ]
    assert ("search-type", "0") in interactions
    assert interactions[-5:] == [
        ("delete", "0"),
        ("read", "4"),  # 410
        ("delete", "0"),  # deleted already
        ("vread", "0"),
        ("vread", "4"),  # 410: the deletion
    ]
    # agent.who is the user; the organization is a second, non-requesting agent.
    assert {e["agent"][0]["who"]["identifier"]["value"] for e in trail} == {"doc-a"}
    assert {e["agent"][1]["who"]["identifier"]["value"] for e in trail} == {"org-a"}
    assert "Quintavalle" not in json.dumps(trail)


def test_the_capability_statement_is_served_without_a_token(system: System) -> None:
    """FHIR R4 http.html#capabilities: GET [base]/metadata."""
    response = system.http.get(f"{system.url}/metadata")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR)
    statement = assert_r4(response.json())
    assert statement["implementation"]["url"] == system.url


def test_search_pages_through_an_organization_with_a_cursor(system: System) -> None:
    ids = sorted(
        system.create(
            patient("Pagewood", f"Page{i}", "1990-01-0" + str(i + 1), f"MRN-61{i}"), DOC_A
        )["id"]
        for i in range(5)
    )
    seen: list[str] = []
    next_url: str | None = f"{system.url}/patients?family=pagewood&_count=2"
    pages = 0
    while next_url:
        page = system.http.get(next_url, headers=system.headers(DOC_A)).json()
        seen += [e["resource"]["id"] for e in page.get("entry", [])]
        next_url = next((k["url"] for k in page["link"] if k["relation"] == "next"), None)
        pages += 1
    assert (seen, pages) == (ids, 3)
    tampered = system.http.get(
        f"{system.url}/patients",
        params={"_cursor": "eyJhZnRlciI6IDF9"},
        headers=system.headers(DOC_A),
    )
    assert tampered.status_code == 400


def test_other_organizations_records_are_out_of_reach(system: System) -> None:
    mine = system.create(patient("Bolawski", "Theodora", "1971-07-07", "MRN-7701"), DOC_A)
    pid, url = mine["id"], system.url
    write = system.headers(DOC_B, **{"Content-Type": FHIR, "If-Match": 'W/"1"'})
    attempts = [
        system.http.get(f"{url}/patients/{pid}", headers=system.headers(DOC_B)),
        system.http.put(
            f"{url}/patients/{pid}", json={"resourceType": "Patient", "id": pid}, headers=write
        ),
        system.http.delete(f"{url}/patients/{pid}", headers=write),
    ]
    for attempt in attempts:
        assert attempt.status_code == 404  # as if it did not exist
        assert attempt.json()["resourceType"] == "OperationOutcome"
    found = system.http.get(
        f"{url}/patients", params={"family": "bolawski"}, headers=system.headers(DOC_B)
    )
    assert "entry" not in found.json()
    assert system.get(pid, DOC_A).json() == mine  # nothing changed
    # B's admin cannot read A's audit trail either; A's admin sees B's attempts as denied.
    refused = system.http.get(f"{url}/patients/{pid}/audit", headers=system.headers(ADMIN_B))
    assert refused.status_code == 404
    expected = {("doc-b", "R"), ("doc-b", "U"), ("doc-b", "D"), ("adm-b", "E")}
    deadline = time.monotonic() + 15
    while True:  # the consumer is asynchronous: the events may land in any order
        trail = system.audit(pid, ADMIN_A, wanted=6)
        denied = {
            (e["agent"][0]["who"]["identifier"]["value"], e["action"])
            for e in trail
            if e["outcome"] == "8"
        }
        if denied == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert denied == expected


def test_a_patient_sees_only_their_own_record(system: System) -> None:
    linked = patient("Selfridge", "Imogen", "1988-08-08", "MRN-8801")
    linked["identifier"].append({"system": USER_LINK, "value": "pat-imogen"})
    own = system.create(linked, DOC_A)["id"]
    other = system.create(patient("Otherby", "Lucius", "1960-06-06", "MRN-8802"), DOC_A)["id"]
    me = {"sub": "pat-imogen", "roles": ["patient"], "scope": "patients:read"}
    assert system.get(own, me).status_code == 200
    assert system.get(other, me).status_code == 404
    mine = system.http.get(f"{system.url}/patients", headers=system.headers(me)).json()
    assert [e["resource"]["id"] for e in mine["entry"]] == [own]
    writer = {**me, "scope": "patients:read patients:write"}
    update = system.http.put(
        f"{system.url}/patients/{own}",
        json={**linked, "id": own},
        headers=system.headers(writer, **{"Content-Type": FHIR, "If-Match": 'W/"1"'}),
    )
    assert update.status_code == 403
    assert update.json()["issue"][0]["code"] == "forbidden"


def test_audit_trails_are_for_admins_only(system: System) -> None:
    pid = system.create(patient("Auditore", "Ezio", "1959-06-24", "MRN-9901"), DOC_A)["id"]
    url = f"{system.url}/patients/{pid}/audit"
    no_scope = system.http.get(url, headers=system.headers(DOC_A))
    assert no_scope.status_code == 403  # the gateway: the route needs patients:audit
    assert no_scope.json() == {"message": "Forbidden"}
    clinician = {**DOC_A, "scope": "patients:audit"}
    not_admin = system.http.get(url, headers=system.headers(clinician))
    assert not_admin.status_code == 403  # the function: the role is missing
    assert not_admin.json()["resourceType"] == "OperationOutcome"
    assert system.audit(pid, ADMIN_A, wanted=1)[0]["subtype"][0]["code"] == "create"


def _count(system: System, family: str) -> int:
    found = system.http.get(
        f"{system.url}/patients", params={"family": family}, headers=system.headers(DOC_A)
    )
    return len(found.json().get("entry", []))


def test_bad_tokens_are_refused_at_the_gateway(system: System) -> None:
    body = patient("Forgerton", "Mallory", "1966-06-16", "MRN-6601")
    forger = ec.generate_private_key(ec.SECP256R1())
    issuer = system.issuer
    tokens = {
        "expired": issuer.token(**{**DOC_A, "exp": int(time.time()) - 5}),
        "forged": issuer.token(key=forger, **DOC_A),  # same kid, another key
        "wrong audience": issuer.token(**{**DOC_A, "aud": "billing"}),
        "wrong issuer": issuer.token(**{**DOC_A, "iss": "http://127.0.0.1:1/evil"}),
        "alg none": jwt.encode({**DOC_A, "iss": issuer.base, "aud": "patients"}, None, "none"),
        "garbage": "not.a.token",
    }
    for name, token in tokens.items():
        response = system.http.post(
            f"{system.url}/patients",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": FHIR},
        )
        assert response.status_code == 401, name
        assert response.json() == {"message": "Unauthorized"}
    missing = system.http.post(f"{system.url}/patients", json=body, headers={"Content-Type": FHIR})
    assert missing.status_code == 401
    assert _count(system, "forgerton") == 0


def test_bad_input_gets_a_clear_outcome_and_changes_nothing(system: System) -> None:
    base = patient("Badinski", "Ingrid", "1977-07-17", "MRN-7717")
    first = system.create(base, DOC_A)
    url, write = system.url, system.headers(DOC_A, **{"Content-Type": FHIR})
    cases = [
        ("POST", "/patients", {**base, "id": "not an id"}, write, 400, "value"),
        ("POST", "/patients", {**base, "meta": {"tag": [{"code": "x"}]}}, write, 400, "structure"),
        ("POST", "/patients", {**base, "ssn": "x"}, write, 400, "structure"),
        ("POST", "/patients", {**base, "birthDate": "1977-02-30"}, write, 400, "value"),
        ("POST", "/patients", {**base, "birthDate": "17/07/1977"}, write, 400, "value"),
        ("POST", "/patients", {**base, "gender": "F"}, write, 400, "value"),
        ("POST", "/patients", {**base, "telecom": [{"system": "pigeon"}]}, write, 400, "value"),
        ("POST", "/patients", base, write, 409, "duplicate"),  # the same MRN in org-a
        ("POST", "/patients", base, {**write, "Content-Type": "text/plain"}, 415, "not-supported"),
        ("POST", "/patients", base, {**write, "Content-Type": "application/xml"}, 415, None),
        ("POST", "/patients", {**base, "name": [{"text": "x" * 80_000}]}, write, 413, "too-costly"),
        ("GET", "/patients/1%20OR%201=1", None, write, 400, "invalid"),
        ("GET", "/patients", None, write, 200, None),
    ]
    put = ("PUT", f"/patients/{first['id']}")
    for body, code in (
        ({**first, "gender": "M"}, "value"),
        (base, "required"),  # http.html#update: no id
        ({**first, "id": "00000000-0000-4000-8000-000000000000"}, "value"),  # not the URL's
        ({**first, "managingOrganization": {"reference": "Organization/org-b"}}, "value"),
    ):
        cases.append((*put, body, {**write, "If-Match": 'W/"1"'}, 400, code))
    for method, path, body, headers, status, code in cases:
        content = json.dumps(body) if body is not None else None
        response = system.http.request(method, f"{url}{path}", content=content, headers=headers)
        assert response.status_code == status, (method, path, response.text)
        if status >= 400:
            outcome = response.json()
            assert outcome["resourceType"] == "OperationOutcome"
            assert outcome["issue"][0]["diagnostics"]
            if code:
                assert outcome["issue"][0]["code"] == code, outcome
    not_json = system.http.post(f"{url}/patients", content="{not json", headers=write)
    assert not_json.status_code == 400
    assert _count(system, "badinski") == 1
    assert system.get(first["id"], DOC_A).json() == first


def test_sql_injection_strings_are_only_data(system: System) -> None:
    sly = "Robert'); DROP TABLE patients;--"
    created = system.create(patient(sly, "Bobby", "2001-01-01", "MRN-0101"), DOC_A)
    assert created["name"][0]["family"] == sly
    for query in (
        {"family": "' OR '1'='1"},
        {"identifier": "x' OR 1=1 --|y"},
        {"given": "%"},
        {"given": "_"},
    ):
        found = system.http.get(
            f"{system.url}/patients", params=query, headers=system.headers(DOC_A)
        )
        assert found.status_code == 200, query
        assert "entry" not in found.json(), query
    assert _count(system, "robert'); drop") == 1
    bad_id = system.http.get(f"{system.url}/patients/' OR 1=1 --", headers=system.headers(DOC_A))
    assert bad_id.status_code == 400


def test_the_sample_events_work_through_the_invoke_api(system: System) -> None:
    """events/*.json as `serverlite invoke` (and `aws lambda invoke`) send them."""
    client = lambda_client(system.server)
    events = SERVICE / "events"

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        result = client.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        assert "FunctionError" not in result
        return json.loads(result["Payload"].read())

    def load(name: str) -> dict[str, Any]:
        return json.loads((events / name).read_text())

    sample = json.loads(load("createPatient.json")["body"])
    SENT_PHI.update({"Exampleton", "1 Example Street", "+1 555 0100", "+1 555 0101"})
    created = invoke("CreatePatient", load("createPatient.json"))
    assert created["statusCode"] == 201, created
    pid = json.loads(created["body"])["id"]
    assert json.loads(created["body"])["name"] == sample["name"]
    sample_id = load("getPatient.json")["pathParameters"]["id"]
    for name, function, status in (
        ("getPatient.json", "GetPatient", 200),
        ("vreadPatient.json", "GetPatientVersion", 200),
        ("updatePatient.json", "UpdatePatient", 200),
        ("searchPatients.json", "SearchPatients", 200),
        ("deletePatient.json", "DeletePatient", 204),
        ("getPatientAudit.json", "GetPatientAudit", 200),
    ):
        event = json.loads(json.dumps(load(name)).replace(sample_id, pid))
        reply = invoke(function, event)
        assert reply["statusCode"] == status, (name, reply)


def test_the_deploy_time_migration_function_answers_cloudformation(system: System) -> None:
    """On AWS the Database resource calls MigrateDatabase; here it finds nothing to do."""
    replies: list[dict[str, Any]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            replies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        event = {
            "RequestType": "Update",
            "ResponseURL": f"http://127.0.0.1:{receiver.server_address[1]}/presigned",
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/patients/1",
            "RequestId": "req-1",
            "LogicalResourceId": "Database",
            "PhysicalResourceId": "patients-schema",
            "ResourceType": "Custom::ServerlitePostgres",
            "ResourceProperties": {"Database": "patients"},
        }
        result = lambda_client(system.server).invoke(
            FunctionName="MigrateDatabase", Payload=json.dumps(event).encode()
        )
        assert "FunctionError" not in result
    finally:
        receiver.shutdown()
        receiver.server_close()
    assert [(r["Status"], r["Data"], r["RequestId"]) for r in replies] == [
        ("SUCCESS", {"Applied": "-"}, "req-1")
    ]


@pytest.mark.slow  # stops the server to read every log line
def _requests_sum(system: System, service: str) -> float:
    points = aws_client(system.server, "cloudwatch").get_metric_statistics(
        Namespace="Patients",
        MetricName="Requests",
        Dimensions=[
            {"Name": "Operation", "Value": "createPatient"},
            {"Name": "service", "Value": service},
        ],
        StartTime=time.time() - 3600,
        EndTime=time.time() + 120,
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points)


def test_powertools_metrics_land_in_cloudwatch(system: System) -> None:
    """The EMF documents Powertools Metrics logs become the Patients namespace's metrics."""
    cloudwatch = aws_client(system.server, "cloudwatch")
    system.create(patient("Wyrmwood", "Quill", "1990-02-01", "MRN-7700"), DOC_A)
    listed = cloudwatch.list_metrics(Namespace="Patients", MetricName="Requests")["Metrics"]
    services = {d["Value"] for m in listed for d in m["Dimensions"] if d["Name"] == "service"}
    assert len(services) == 1, listed
    service = services.pop()
    before = _requests_sum(system, service)
    for n in range(3):
        system.create(patient("Wyrmwood", "Quill", f"1990-01-0{n + 1}", f"MRN-77{n + 1}"), DOC_A)
    assert _requests_sum(system, service) == before + 3


def test_powertools_tracer_subsegments_land_in_the_trace(system: System) -> None:
    """The handlers' Powertools Tracer (aws-xray-sdk from the service's requirements)
    sends ``## createPatient`` with its annotations to the X-Ray daemon; it joins the
    function's segment in the request's trace, and no PHI goes with it."""
    root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
    body = patient("Tracewell", "Ione", "1981-03-04", "MRN-6421")
    response = system.http.post(
        f"{system.url}/patients",
        json=body,
        headers=system.headers(
            DOC_A, **{"Content-Type": FHIR, "X-Amzn-Trace-Id": f"Root={root};Sampled=1"}
        ),
    )
    assert response.status_code == 201, response.text
    xray = aws_client(system.server, "xray")
    deadline = time.monotonic() + 30
    traced: dict[str, Any] | None = None
    documents: list[str] = []
    while traced is None and time.monotonic() < deadline:
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"]
        documents = [s["Document"] for t in traces for s in t["Segments"]]
        for segment in map(json.loads, documents):
            if segment.get("origin") != "AWS::Lambda::Function":
                continue
            found = [s for s in segment.get("subsegments", []) if s["name"] == "## createPatient"]
            if found:  # (the audit consumer's segment is in this trace too)
                traced = found[0]
                break
        if traced is None:
            time.sleep(0.3)
    assert traced is not None, [
        (d["name"], d.get("origin"), [sub["name"] for sub in d.get("subsegments", [])])
        for d in map(json.loads, documents)
    ]
    assert traced["annotations"]["operation"] == "createPatient"
    assert traced["annotations"]["outcome"] == "ok"
    assert traced["annotations"]["ColdStart"] in (True, False)
    assert traced["annotations"]["Service"] == "patients"
    text = " ".join(documents).lower()
    assert not [v for v in ("Tracewell", "Ione", "MRN-6421") if v.lower() in text]


def test_metrics_and_no_phi_in_any_log_line(system: System) -> None:
    """Runs last: stops the server, then reads every log line of the run."""
    system.server.stop()
    store = LogStore(system.server.state_dir / "logs.db")
    lines: list[str] = []
    for group in store.groups():
        after = 0
        while batch := store.read(group, after_id=after):
            lines += [event.message for event in batch]
            after = batch[-1].id
    assert len(lines) > 100
    leaks = [(value, line) for line in lines for value in SENT_PHI if value.lower() in line.lower()]
    assert not leaks, f"PHI in log lines: {leaks[:3]}"
    emf = [json.loads(line) for line in lines if line.startswith('{"_aws"')]
    operations = {m.get("Operation") for m in emf}
    assert {"getPatient", "createPatient", "searchPatients", "recordAudit"} <= operations
    assert all(
        set(m["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]) <= {"Operation", "service"}
        for m in emf
    )
