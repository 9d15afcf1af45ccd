"""PatientService with an in-memory store and audit: every route's rules, in order,
and the audit event each request leaves. No I/O."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from patients.audit import fhir_audit_event
from patients.domain import USER_LINK_SYSTEM
from patients.http import from_event
from patients.service import PatientService
from patients_fakes import FakeAudit, FakeStore, R4Service

PATIENT = {
    "resourceType": "Patient",
    "name": [{"family": "Lovelace", "given": ["Ada"]}],
    "birthDate": "1815-12-10",
    "identifier": [{"system": "urn:mrn", "value": "MRN-1"}],
}
MISSING = "00000000-0000-4000-8000-000000000000"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store():
    return FakeStore()


@pytest.fixture
def app(store):
    counter = iter(range(1, 10_000))
    return R4Service(
        store,
        FakeAudit(store),
        clock=Clock(),
        ids=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
    )


CLINICIAN_A = {"sub": "doc-a", "roles": "[clinician]", "org": "org-a"}
CLINICIAN_B = {"sub": "doc-b", "roles": "[clinician]", "org": "org-b"}
ADMIN_A = {"sub": "adm-a", "roles": "[admin]", "org": "org-a"}
RW = ["patients:read", "patients:write"]


def event(
    method="GET",
    pid=None,
    body=None,
    claims=CLINICIAN_A,
    scopes=RW,
    headers=None,
    query=None,
):
    ev = {
        "headers": {"host": "127.0.0.1:3001", **(headers or {})},
        "requestContext": {
            "requestId": f"req-{method}",
            "stage": "$default",
            "http": {"method": method},
        },
    }
    if claims is not None:
        ev["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": scopes}}
    if pid:
        ev["pathParameters"] = {"id": pid}
    if body is not None:
        ev["body"] = json.dumps(body)
        ev["headers"].setdefault("content-type", "application/fhir+json")
    if query:
        ev["queryStringParameters"] = query
    return from_event(ev)


def create(app, body=PATIENT, claims=CLINICIAN_A):
    reply, _ = app.handle("create", event("POST", body=body, claims=claims))
    assert reply.status == 201, reply.body
    return reply.body["id"]


def test_create_read_update_delete(app, store):
    reply, denied = app.handle("create", event("POST", body=PATIENT))
    assert (reply.status, denied) == (201, False)
    pid = reply.body["id"]
    # FHIR R4 http.html#create: Location is [base]/[type]/[id]/_history/[vid].
    assert reply.headers["Location"] == f"http://127.0.0.1:3001/patients/{pid}/_history/1"
    assert reply.headers["ETag"] == 'W/"1"'
    assert reply.body["meta"]["versionId"] == "1"
    assert reply.body["managingOrganization"] == {"reference": "Organization/org-a"}

    read, _ = app.handle("read", event(pid=pid))
    assert read.status == 200 and read.body == reply.body

    changed = {**PATIENT, "id": pid, "gender": "female"}
    updated, _ = app.handle("update", event("PUT", pid, changed, headers={"if-match": 'W/"1"'}))
    assert updated.status == 200
    assert updated.headers["ETag"] == 'W/"2"'
    assert updated.body["gender"] == "female"

    gone, _ = app.handle("delete", event("DELETE", pid, headers={"if-match": 'W/"2"'}))
    assert gone.status == 204
    assert app.handle("read", event(pid=pid))[0].status == 410  # http.html#read: Gone
    # http.html#delete: deleting a deleted resource "has no effect": 204 again.
    deleted = store.patients[pid]
    assert app.handle("delete", event("DELETE", pid))[0].status == 204
    assert store.patients[pid] == deleted
    assert [e.action for e in store.audit] == [
        "create",
        "read",
        "update",
        "delete",
        "read",
        "delete",
    ]
    assert [e.outcome for e in store.audit] == ["success"] * 4 + ["failed", "success"]


def test_a_client_puts_what_it_just_read(app, store):
    """FHIR R4 http.html#update: the body carries the URL's id; meta's versionId and
    lastUpdated "SHALL" be ignored, so a resource read, changed and sent back is accepted."""
    pid = create(app)
    read, _ = app.handle("read", event(pid=pid))
    sent = {**read.body, "gender": "female", "meta": {**read.body["meta"], "versionId": "41"}}
    headers = {"if-match": read.headers["ETag"]}
    updated, _ = app.handle("update", event("PUT", pid, sent, headers=headers))
    assert updated.status == 200, updated.body
    assert updated.body["meta"]["versionId"] == "2"  # the server's, not the one sent
    assert updated.body["meta"]["lastUpdated"] > read.body["meta"]["lastUpdated"]
    assert {**updated.body, "meta": sent["meta"]} == sent
    assert store.patients[pid].content == {**PATIENT, "gender": "female"}  # no id, no meta


@pytest.mark.parametrize(
    ("body", "code"),
    [({"id": None}, "required"), ({"id": MISSING}, "value")],
    ids=["missing", "another"],
)
def test_an_update_names_the_record_of_its_url(app, store, body, code):
    """FHIR R4 http.html#update: "If no id element is provided, or the id disagrees with
    the id in the URL, the server SHALL respond with an HTTP 400 error code, and SHOULD
    provide an OperationOutcome identifying the issue"."""
    pid = create(app)
    before = store.patients[pid]
    sent = {k: v for k, v in {**PATIENT, "id": pid, **body}.items() if v is not None}
    reply, _ = app.handle("update", event("PUT", pid, sent, headers={"if-match": 'W/"1"'}))
    assert reply.status == 400
    assert [(i["code"], i["expression"]) for i in reply.body["issue"]] == [(code, ["Patient.id"])]
    assert store.patients[pid] == before


def test_create_assigns_the_id_and_ignores_meta(app, store):
    """FHIR R4 http.html#create: "If an id is provided, the server SHALL ignore it", and
    meta's versionId and lastUpdated likewise; 201 with Location .../_history/[vid]."""
    sent = {**PATIENT, "id": "chosen", "meta": {"versionId": "7"}}
    reply, _ = app.handle("create", event("POST", body=sent))
    assert reply.status == 201
    pid = reply.body["id"]
    assert pid != "chosen" and pid in store.patients
    assert reply.body["meta"]["versionId"] == "1"
    assert reply.headers["Location"].endswith(f"/patients/{pid}/_history/1")
    assert store.patients[pid].content == PATIENT


def test_every_version_is_read_where_the_create_said(app, store):
    """FHIR R4 http.html#vread: GET [base]/[type]/[id]/_history/[vid] is that version;
    "If the version referred to is actually one where the resource was deleted, the
    server should return a 410 status code"; one that never was, 404."""
    created, _ = app.handle("create", event("POST", body=PATIENT))
    pid = created.body["id"]
    location = created.headers["Location"].removeprefix("http://127.0.0.1:3001")
    assert location == f"/patients/{pid}/_history/1"

    def vread(vid, claims=CLINICIAN_A, scopes=RW):
        request = event(pid=pid, claims=claims, scopes=scopes)
        return app.handle("vread", replace(request, path_version=vid))

    first, _ = vread("1")
    versioned = {k: v for k, v in created.headers.items() if k != "Location"}
    assert (first.status, first.body, first.headers) == (200, created.body, versioned)
    sent = {**created.body, "gender": "female"}
    app.handle("update", event("PUT", pid, sent, headers={"if-match": 'W/"1"'}))
    app.handle("delete", event("DELETE", pid))
    second, _ = vread("2")
    assert (second.body["gender"], second.body["meta"]["versionId"]) == ("female", "2")
    assert second.headers["ETag"] == 'W/"2"'
    assert vread("1")[0].body == created.body  # the first version, unchanged by either
    assert vread("3")[0].status == 410  # the deletion
    assert [vread(v)[0].status for v in ("4", "0", "01", "x", None)] == [404, 400, 400, 400, 400]
    assert vread("1", CLINICIAN_B) == (vread("9", CLINICIAN_B)[0], True)  # not found, denied
    assert vread("1", ADMIN_A, ["patients:read"])[0].status == 403
    assert [e.action for e in store.audit if e.action == "vread"] == ["vread"] * 12
    assert [(e.outcome, e.patient_id) for e in store.audit[-3:-1]] == [("denied", pid)] * 2


def test_updates_need_the_current_version(app, store):
    pid = create(app)
    body = {**PATIENT, "id": pid}
    missing, _ = app.handle("update", event("PUT", pid, body))
    assert missing.status == 428
    stale, _ = app.handle("update", event("PUT", pid, body, headers={"if-match": 'W/"7"'}))
    assert stale.status == 412
    assert stale.body["issue"][0]["code"] == "conflict"
    assert store.patients[pid].version == 1
    wrong, _ = app.handle("delete", event("DELETE", pid, headers={"if-match": 'W/"3"'}))
    assert wrong.status == 412
    assert store.patients[pid].deleted_at is None


def test_another_organizations_records_do_not_exist_for_a_clinician(app, store):
    pid = create(app)
    before = store.patients[pid]
    for action, method, body, headers in [
        ("read", "GET", None, None),
        ("update", "PUT", {**PATIENT, "id": pid}, {"if-match": 'W/"1"'}),
        ("delete", "DELETE", None, {"if-match": 'W/"1"'}),
    ]:
        reply, denied = app.handle(action, event(method, pid, body, CLINICIAN_B, headers=headers))
        assert (reply.status, denied) == (404, True)
        assert reply.body["resourceType"] == "OperationOutcome"
    assert store.patients[pid] == before
    found, _ = app.handle("search", event(claims=CLINICIAN_B))
    assert "entry" not in found.body
    denied_events = [e for e in store.audit if e.actor_id == "doc-b"]
    assert [(e.outcome, e.status, e.patient_id) for e in denied_events[:3]] == [
        ("denied", 404, pid)
    ] * 3


def test_a_patient_reads_only_their_own_record(app):
    own = create(app, {**PATIENT, "identifier": [{"system": USER_LINK_SYSTEM, "value": "pat-1"}]})
    other = create(app, {**PATIENT, "identifier": [{"system": "urn:mrn", "value": "2"}]})
    me = {"sub": "pat-1", "roles": "[patient]"}
    assert app.handle("read", event(pid=own, claims=me, scopes=["patients:read"]))[0].status == 200
    reply, denied = app.handle("read", event(pid=other, claims=me, scopes=["patients:read"]))
    assert (reply.status, denied) == (404, True)
    found, _ = app.handle("search", event(claims=me, scopes=["patients:read"]))
    assert [e["resource"]["id"] for e in found.body["entry"]] == [own]
    body = {**PATIENT, "id": own}
    write, denied = app.handle("update", event("PUT", own, body, me, ["patients:write"]))
    assert (write.status, denied) == (403, True)


def test_only_admins_of_the_organization_read_audit_trails(app, store):
    pid = create(app)
    app.handle("read", event(pid=pid))
    trail, _ = app.handle("read-audit", event(pid=pid, claims=ADMIN_A, scopes=["patients:audit"]))
    assert trail.status == 200
    assert [e["resource"]["subtype"][0]["code"] for e in trail.body["entry"]] == ["create", "read"]
    clinician, denied = app.handle("read-audit", event(pid=pid, scopes=["patients:audit"]))
    assert (clinician.status, denied) == (403, True)
    admin_b = {**ADMIN_A, "org": "org-b"}
    other, denied = app.handle(
        "read-audit", event(pid=pid, claims=admin_b, scopes=["patients:audit"])
    )
    assert (other.status, denied) == (404, True)
    admin_read, _ = app.handle("read", event(pid=pid, claims=ADMIN_A, scopes=["patients:read"]))
    assert admin_read.status == 403  # admins see audit trails, not records


def test_deleted_records_keep_their_audit_trail(app):
    pid = create(app)
    app.handle("delete", event("DELETE", pid))
    trail, _ = app.handle("read-audit", event(pid=pid, claims=ADMIN_A, scopes=["patients:audit"]))
    assert [e["resource"]["action"] for e in trail.body["entry"]] == ["C", "D"]


@pytest.mark.parametrize(
    ("ev", "status"),
    [
        (event(claims=None), 401),
        (event(pid="x' OR '1'='1"), 400),
        (event(pid=MISSING), 404),
        (event(pid=MISSING, headers={"accept": "application/xml"}), 406),
        (event(claims=CLINICIAN_A, scopes=["patients:write"], pid=MISSING), 403),
    ],
)
def test_refused_reads(app, store, ev, status):
    reply, _ = app.handle("read", ev)
    assert reply.status == status
    assert reply.body["resourceType"] == "OperationOutcome"
    assert store.audit[-1].status == status
    assert store.audit[-1].patient_id in (None, MISSING)


def test_refused_writes_change_nothing(app, store):
    pid = create(app)
    snapshot = dict(store.patients)
    other_org = {"reference": "Organization/org-b"}
    bad = [
        ("create", event("POST", body={**PATIENT, "id": "a b"}), 400),
        ("create", event("POST", body={**PATIENT, "meta": {"tag": [{"code": "x"}]}}), 400),
        ("create", event("POST", body={**PATIENT, "managingOrganization": other_org}), 400),
        ("create", event("POST", body={**PATIENT, "birthDate": "1815-13-01"}), 400),
        ("create", event("POST", body=PATIENT, headers={"content-type": "text/plain"}), 415),
        ("create", event("POST", body={**PATIENT, "name": [{"family": "x" * 70000}]}), 413),
        ("create", event("POST", body=PATIENT), 409),  # the same MRN in the same organization
        (
            "update",
            event("PUT", pid, {**PATIENT, "id": pid, "gender": "M"}, headers={"if-match": 'W/"1"'}),
            400,
        ),
    ]
    v1 = {"if-match": 'W/"1"'}
    for body in [
        {**PATIENT, "id": pid, "managingOrganization": other_org},
        PATIENT,  # http.html#update: no id is 400
        {**PATIENT, "id": MISSING},  # ... and so is another id than the URL's
    ]:
        bad.append(("update", event("PUT", pid, body, headers=v1), 400))
    for action, ev, status in bad:
        reply, _ = app.handle(action, ev)
        assert reply.status == status, (action, reply.body)
    assert store.patients == snapshot


def test_search_pages_with_a_cursor_and_audits_what_it_returned(app, store):
    ids = [create(app, {**PATIENT, "identifier": [{"value": str(i)}]}) for i in range(3)]
    first, _ = app.handle("search", event(query={"family": "love", "_count": "2"}))
    assert [e["resource"]["id"] for e in first.body["entry"]] == ids[:2]
    after = next(link["url"] for link in first.body["link"] if link["relation"] == "next")
    cursor = after.split("_cursor=")[1]
    second, _ = app.handle("search", event(query={"family": "love", "_cursor": cursor}))
    assert [e["resource"]["id"] for e in second.body["entry"]] == ids[2:]
    searches = [e for e in store.audit if e.action == "search"]
    assert searches[0].patient_ids == tuple(ids[:2])
    assert searches[0].query_params == ("family",)


def test_a_search_by_post_reads_its_parameters_from_a_form_body(app, store):
    """FHIR R4 http.html#search: POST [base]/[type]/_search, the parameters in an
    application/x-www-form-urlencoded body, or in the URL as well ("equal meaning")."""
    pid = create(app)
    create(app, {**PATIENT, "identifier": [{"value": "2"}]})

    def post(body, query=None, content_type="application/x-www-form-urlencoded"):
        request = event("POST", query=query, headers={"content-type": content_type})
        return app.handle("search", replace(request, body=body))[0]

    def searched(reply):  # the search as the server read it: its self link's query
        assert reply.status == 200, reply.body
        return reply.body["link"][0]["url"].split("?", 1)[1]

    one = post("family=love&_count=1")
    assert len(one.body["entry"]) == 1  # the fake store filters nothing, but counts
    assert searched(one) == "family=love&_count=1"
    assert searched(post("", {"given": "ada"})) == "given=ada"
    assert searched(post("family=love", {"family": "byron"})) == "family=byron%2Clove"  # OR
    assert post("nickname=x").status == 400  # unknown parameters, as with GET
    assert post("family=love", content_type="application/fhir+json").status == 415
    searches = [e for e in store.audit if e.action == "search"]
    assert [e.query_params for e in searches[:3]] == [("family",), ("given",), ("family",)]
    assert searches[0].patient_ids == (pid,)


def test_audit_events_carry_no_phi(app, store):
    pid = create(app)
    app.handle("search", event(query={"family": "Lovelace", "birthdate": "1815-12-10"}))
    # The positive twin: the events exist and say who, what and which patients...
    assert [(e.action, e.outcome, e.actor_id) for e in store.audit] == [
        ("create", "success", "doc-a"),
        ("search", "success", "doc-a"),
    ]
    assert (store.audit[0].patient_id, store.audit[1].patient_ids) == (pid, (pid,))
    assert store.audit[1].query_params == ("family", "birthdate")
    # ... and nowhere in them, on the bus or as FHIR AuditEvents, is a value sent.
    text = json.dumps([e.detail() for e in store.audit])
    text += json.dumps([fhir_audit_event(e) for e in store.audit])
    assert "doc-a" in text and pid in text and "birthdate" in text
    for value in ("Lovelace", "Ada", "1815-12-10", "MRN-1"):
        assert value not in text


def test_a_failed_audit_publish_is_reported_but_the_answer_stands(store):
    failures: list[Exception] = []
    app = PatientService(store, FakeAudit(store, fail=True), on_audit_failure=failures.append)
    reply, _ = app.handle("create", event("POST", body=PATIENT))
    assert reply.status == 201
    assert [str(f) for f in failures] == ["bus down"]
