"""The patient operations: authorization, validation, storage and audit, in order.
No AWS and no I/O of its own: the store and the audit publisher are handed in.

Every operation runs the same way: who is calling (401 without an identity), may
they do this at all (403, API5), is the input valid, may they act on this record
(API1: a record of another organization is "not found", as if it did not exist,
and recorded as denied), then the change or the read. Whatever happens, one audit
event records it.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any, Protocol

from patients_auth import policy
from patients_auth.policy import Action, PatientRef, SearchScope
from patients_auth.principal import Principal, Unauthenticated, principal_from_event

from patients import audit as audit_events
from patients.audit import AuditEvent
from patients.domain import (
    SearchFields,
    StoredPatient,
    check_id,
    check_organization,
    check_resource_id,
    check_version,
    check_version_id,
    expected_version,
    new_id,
    search_fields,
)
from patients.errors import (
    FhirError,
    Forbidden,
    Gone,
    Invalid,
    Issue,
    NotAuthenticated,
    NotFound,
    PreconditionFailed,
)
from patients.fhir import PatientUpdate, content_of, parse_patient
from patients.http import (
    ApiRequest,
    Reply,
    check_accept,
    error_reply,
    fhir_body,
    form_body,
    join_values,
)
from patients.search import SearchQuery, bundle, parse_search, whole_number

AUDIT_PAGE = 100
MAX_AUDIT_PAGE = 500


class PatientStore(Protocol):
    def get(self, patient_id: str) -> StoredPatient | None: ...

    def version(self, patient: StoredPatient, version: int) -> StoredPatient | None: ...

    def create(self, patient: StoredPatient, fields: SearchFields) -> None: ...

    def update(self, patient: StoredPatient, fields: SearchFields, expected: int) -> bool: ...

    def delete(self, patient_id: str, expected: int, at: datetime) -> bool: ...

    def search(self, query: SearchQuery, scope: SearchScope, limit: int) -> list[StoredPatient]: ...

    def audit_trail(
        self, patient_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[AuditEvent]: ...


class AuditPublisher(Protocol):
    def publish(self, event: AuditEvent) -> None: ...


@dataclass
class _Call:
    """What one operation learned on its way, for the audit event."""

    action: Action
    request: ApiRequest
    principal: Principal | None = None
    patient_id: str | None = None
    patient_ids: tuple[str, ...] = ()
    query_params: tuple[str, ...] = ()
    denied: bool = False


@dataclass
class PatientService:
    store: PatientStore
    audit: AuditPublisher
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    ids: Callable[[], str] = new_id
    on_audit_failure: Callable[[Exception], None] = lambda exc: None

    def handle(self, action: Action, request: ApiRequest) -> tuple[Reply, bool]:
        """The reply, and whether the caller was refused by authorization."""
        call = _Call(action, request)
        operations: dict[str, Callable[[_Call], Reply]] = {
            "read": self._read,
            "vread": self._vread,
            "search": self._search,
            "create": self._create,
            "update": self._update,
            "delete": self._delete,
            "read-audit": self._read_audit,
        }
        status = 500
        try:
            reply = self._authorized(call, operations[action])
            status = reply.status
            return reply, call.denied
        except FhirError as error:
            status = error.status
            call.denied = call.denied or isinstance(error, (NotAuthenticated, Forbidden))
            return error_reply(error), call.denied
        finally:
            self._record(call, status)

    def _authorized(self, call: _Call, operation: Callable[[_Call], Reply]) -> Reply:
        try:
            call.principal = principal_from_event(call.request.event)
        except Unauthenticated as exc:
            raise NotAuthenticated(str(exc)) from None
        try:
            policy.require(call.principal, call.action)
        except policy.Forbidden as exc:
            raise Forbidden(str(exc)) from None
        check_accept(call.request)
        return operation(call)

    # -- operations ---------------------------------------------------------------------

    def _read(self, call: _Call) -> Reply:
        patient = self._load(call, check_id(call.request.path_id))
        return Reply(200, patient.resource(), _version_headers(patient))

    def _vread(self, call: _Call) -> Reply:
        """FHIR R4 http.html#vread: one version; 404 if there is no such version, 410
        if it is the version that deleted the record ("the server should return a 410")."""
        patient_id = check_id(call.request.path_id)
        version = check_version_id(call.request.path_version)
        current = self._load(call, patient_id, include_deleted=True)
        found = self.store.version(current, version) if version <= current.version else None
        if found is None:
            raise NotFound(f"Patient/{patient_id} has no version {version}")
        if found.deleted_at is not None:
            raise Gone(f"Patient/{patient_id} version {version} is its deletion")
        return Reply(200, found.resource(), _version_headers(found))

    def _search(self, call: _Call) -> Reply:
        params = dict(call.request.query)
        if call.request.method == "POST":
            # FHIR R4 http.html#search: POST [base]/[type]/_search with the parameters
            # in a form body (so they stay out of URLs and logs), or in the URL too:
            # "servers should give them equal meaning".
            params = join_values([*params.items(), *form_body(call.request).items()])
        query = parse_search(params)
        call.query_params = tuple(query.criteria)
        assert call.principal is not None
        scope = policy.search_scope(call.principal)
        page = self.store.search(query, scope, query.count + 1)
        call.patient_ids = tuple(p.id for p in page[: query.count])
        return Reply(200, bundle(page, query, params, call.request.base_url))

    def _create(self, call: _Call) -> Reply:
        principal = call.principal
        assert principal is not None and principal.organization is not None
        # FHIR R4 http.html#create: an id in the body is ignored (the server assigns
        # one), and so are meta.versionId and meta.lastUpdated (fhir.SentMeta).
        patient = parse_patient(fhir_body(call.request), self.clock().date())
        check_organization(patient, principal.organization)
        fields = search_fields(patient)
        now = self.clock()
        record = StoredPatient(
            id=self.ids(),
            organization=principal.organization,
            user_id=fields.user_id,
            version=1,
            content=content_of(patient),
            created_at=now,
            updated_at=now,
        )
        call.patient_id = record.id
        self.store.create(record, fields)
        # FHIR R4 http.html#create: 201 with "a Location header which contains the new
        # Logical Id and Version Id of the created resource version":
        # [base]/[type]/[id]/_history/[vid].
        location = f"{call.request.base_url}/patients/{record.id}/_history/{record.version}"
        return Reply(201, record.resource(), {**_version_headers(record), "Location": location})

    def _update(self, call: _Call) -> Reply:
        patient_id = check_id(call.request.path_id)
        call.patient_id = patient_id
        expected = expected_version(call.request.header("if-match"))
        patient = parse_patient(fhir_body(call.request), self.clock().date(), PatientUpdate)
        check_resource_id(patient, patient_id)
        current = self._load(call, patient_id)
        check_organization(patient, current.organization)
        check_version(current.version, expected)
        fields = search_fields(patient)
        record = replace(
            current,
            user_id=fields.user_id,
            version=current.version + 1,
            content=content_of(patient),
            updated_at=max(self.clock(), current.updated_at),
        )
        if not self.store.update(record, fields, current.version):
            raise PreconditionFailed("the patient changed meanwhile: read it again, then retry")
        return Reply(200, record.resource(), _version_headers(record))

    def _delete(self, call: _Call) -> Reply:
        patient_id = check_id(call.request.path_id)
        call.patient_id = patient_id
        expected = expected_version(call.request.header("if-match"), required=False)
        current = self._load(call, patient_id, include_deleted=True)
        if current.deleted_at is not None:
            # FHIR R4 http.html#delete: "Performing this interaction on a resource that
            # is already deleted has no effect, and the server should return either a
            # 200 OK ... or a 204 No Content with no response body."
            return Reply(204)
        check_version(current.version, expected)
        at = max(self.clock(), current.updated_at)
        if not self.store.delete(patient_id, current.version, at):
            raise PreconditionFailed("the patient changed meanwhile: read it again, then retry")
        return Reply(204)

    def _read_audit(self, call: _Call) -> Reply:
        patient_id = check_id(call.request.path_id)
        self._load(call, patient_id, include_deleted=True)
        count, after = _audit_page(dict(call.request.query))
        events = self.store.audit_trail(patient_id, count + 1, after)
        return Reply(200, _audit_bundle(events, count, call.request, patient_id))

    # -- helpers --------------------------------------------------------------------------

    def _load(
        self, call: _Call, patient_id: str, *, include_deleted: bool = False
    ) -> StoredPatient:
        """The record, if it exists and the caller may act on it; else 404 (or 410)."""
        call.patient_id = patient_id
        patient = self.store.get(patient_id)
        if patient is None:
            raise NotFound(f"Patient/{patient_id} is not known")
        assert call.principal is not None
        if not policy.may_access(
            call.principal, call.action, PatientRef(patient.organization, patient.user_id)
        ):
            call.denied = True  # indistinguishable from a missing record, to the caller
            raise NotFound(f"Patient/{patient_id} is not known")
        if patient.deleted_at is not None and not include_deleted:
            raise Gone(f"Patient/{patient_id} was deleted")
        return patient

    def _record(self, call: _Call, status: int) -> None:
        principal = call.principal
        event = AuditEvent(
            audit_id=self.ids(),
            occurred_at=self.clock(),
            request_id=call.request.request_id[:128] or "unknown",
            action=call.action,
            outcome=audit_events.outcome_of(status, call.denied),
            status=status,
            actor_id=principal.user_id if principal else None,
            actor_roles=tuple(sorted(principal.roles)) if principal else (),
            actor_org=principal.organization if principal else None,
            patient_id=call.patient_id,
            patient_ids=call.patient_ids,
            query_params=call.query_params,
        )
        try:
            self.audit.publish(event)
        except Exception as exc:  # the answer stands; the failure is logged and counted
            self.on_audit_failure(exc)


def _version_headers(patient: StoredPatient) -> dict[str, str]:
    modified = format_datetime(patient.updated_at.astimezone(UTC), usegmt=True)
    return {"ETag": patient.etag, "Last-Modified": modified}


def _audit_page(params: dict[str, str]) -> tuple[int, tuple[datetime, str] | None]:
    unknown = sorted(set(params) - {"_count", "_cursor"})
    if unknown:
        raise Invalid("the audit trail takes only _count and _cursor")
    count = AUDIT_PAGE
    if "_count" in params:
        raw = params["_count"]
        if not whole_number(raw) or not 1 <= int(raw) <= MAX_AUDIT_PAGE:
            raise Invalid(
                f"_count must be a whole number from 1 to {MAX_AUDIT_PAGE}",
                issues=(Issue("value", f"from 1 to {MAX_AUDIT_PAGE}", ("_count",)),),
            )
        count = int(raw)
    after = _decode_audit_cursor(params["_cursor"]) if "_cursor" in params else None
    return count, after


def _encode_audit_cursor(event: AuditEvent) -> str:
    raw = json.dumps([event.occurred_at.isoformat(), event.audit_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_audit_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, audit_id = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("naive")
        return moment, check_id(audit_id)
    except (ValueError, TypeError, UnicodeEncodeError, binascii.Error, FhirError):
        raise Invalid("_cursor is not a cursor this server gave out") from None


def _audit_bundle(
    events: list[AuditEvent], count: int, request: ApiRequest, patient_id: str
) -> dict[str, Any]:
    url = f"{request.base_url}/patients/{patient_id}/audit"
    links = [{"relation": "self", "url": url}]
    if len(events) > count:
        cursor = _encode_audit_cursor(events[count - 1])
        links.append({"relation": "next", "url": f"{url}?_count={count}&_cursor={cursor}"})
    result: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if events:
        result["entry"] = [
            {"resource": audit_events.fhir_audit_event(e), "search": {"mode": "match"}}
            for e in events[:count]
        ]
    return result
