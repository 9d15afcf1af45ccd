"""Patients and their audit trail in PostgreSQL (the schema: the data layer's
migrations). Every statement is parameterised; the SQL text is fixed fragments."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg
from patients_auth.policy import SearchScope
from psycopg.types.json import Jsonb

from patients.audit import AuditEvent
from patients.domain import SearchFields, StoredPatient
from patients.errors import Conflict, Unavailable
from patients.search import SearchQuery

_COLUMNS = "id, organization, user_id, version, content, created_at, updated_at, deleted_at"
# FHIR compares date ranges: the target's [low, high] against the parameter's.
_BIRTHDATE = {
    "eq": "(p.birth_date_low >= %(b_low)s AND p.birth_date_high <= %(b_high)s)",
    "lt": "p.birth_date_low < %(b_low)s",
    "le": "p.birth_date_low <= %(b_high)s",
    "gt": "p.birth_date_high > %(b_high)s",
    "ge": "p.birth_date_high >= %(b_low)s",
}
_AUDIT_COLUMNS = (
    "audit_id, occurred_at, request_id, action, outcome, status, actor_id, actor_roles, "
    "actor_org, patient_id, patient_ids, query_params"
)


T = TypeVar("T")
P = ParamSpec("P")


def _guarded(
    method: Callable[Concatenate[PostgresStore, P], T],
) -> Callable[Concatenate[PostgresStore, P], T]:
    @functools.wraps(method)
    def guarded(self: PostgresStore, *args: P.args, **kwargs: P.kwargs) -> T:
        with self.unavailable():
            return method(self, *args, **kwargs)

    return guarded


def _patient(row: tuple[Any, ...]) -> StoredPatient:
    pid, org, user_id, version, content, created, updated, deleted = row
    return StoredPatient(str(pid), org, user_id, version, content, created, updated, deleted)


class PostgresStore:
    """``connection`` gives the environment's connection; ``reset`` drops a broken one.

    A database that cannot be reached (or a statement that timed out) is Unavailable
    (503): the client may retry. Other database errors are bugs and propagate.
    """

    def __init__(
        self,
        connection: Callable[[], psycopg.Connection[Any]],
        reset: Callable[[], None] = lambda: None,
    ) -> None:
        self._connect = connection
        self._reset = reset

    def _connection(self) -> psycopg.Connection[Any]:
        try:
            return self._connect()
        except Exception as exc:  # the data layer's DatabaseUnavailable, botocore errors
            raise Unavailable("the patient database is unavailable; retry shortly") from exc

    @contextmanager
    def unavailable(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.OperationalError, psycopg.errors.QueryCanceled) as exc:
            self._reset()
            raise Unavailable("the patient database is unavailable; retry shortly") from exc

    @_guarded
    def get(self, patient_id: str) -> StoredPatient | None:
        row = (
            self._connection()
            .execute(f"SELECT {_COLUMNS} FROM patients WHERE id = %s", (patient_id,))
            .fetchone()
        )
        return _patient(row) if row else None

    @_guarded
    def version(self, patient: StoredPatient, version: int) -> StoredPatient | None:
        """``patient`` as it was at ``version``; deleted_at set if that version deleted it."""
        row = (
            self._connection()
            .execute(
                "SELECT content, updated_at FROM patient_versions "
                "WHERE patient_id = %s AND version = %s",
                (patient.id, version),
            )
            .fetchone()
        )
        if row is None:
            return None
        content, updated_at = row
        deleted_at = updated_at if content is None else None
        return replace(
            patient,
            version=version,
            content=content or {},
            updated_at=updated_at,
            deleted_at=deleted_at,
        )

    @staticmethod
    def _put_version(
        conn: psycopg.Connection[Any], patient_id: str, version: int, content: Any, at: datetime
    ) -> None:
        conn.execute(
            "INSERT INTO patient_versions (patient_id, version, content, updated_at) "
            "VALUES (%s, %s, %s, %s)",
            (patient_id, version, Jsonb(content) if content is not None else None, at),
        )

    @_guarded
    def create(self, patient: StoredPatient, fields: SearchFields) -> None:
        conn = self._connection()
        try:
            with conn.transaction():
                conn.execute(
                    "INSERT INTO patients (id, organization, user_id, version, active, gender, "
                    "birth_date_low, birth_date_high, family_names, given_names, content, "
                    "created_at, updated_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (
                        patient.id,
                        patient.organization,
                        patient.user_id,
                        patient.version,
                        fields.active,
                        fields.gender,
                        fields.birth_low,
                        fields.birth_high,
                        list(fields.family),
                        list(fields.given),
                        Jsonb(patient.content),
                        patient.created_at,
                        patient.updated_at,
                    ),
                )
                self._put_identifiers(conn, patient, fields)
                self._put_version(conn, patient.id, 1, patient.content, patient.updated_at)
        except psycopg.errors.UniqueViolation as exc:
            raise _conflict(exc) from None

    @_guarded
    def update(self, patient: StoredPatient, fields: SearchFields, expected: int) -> bool:
        conn = self._connection()
        try:
            with conn.transaction():
                cursor = conn.execute(
                    "UPDATE patients SET user_id = %s, version = %s, active = %s, gender = %s, "
                    "birth_date_low = %s, birth_date_high = %s, family_names = %s, "
                    "given_names = %s, content = %s, updated_at = %s "
                    "WHERE id = %s AND version = %s AND deleted_at IS NULL",
                    (
                        patient.user_id,
                        patient.version,
                        fields.active,
                        fields.gender,
                        fields.birth_low,
                        fields.birth_high,
                        list(fields.family),
                        list(fields.given),
                        Jsonb(patient.content),
                        patient.updated_at,
                        patient.id,
                        expected,
                    ),
                )
                if cursor.rowcount != 1:
                    return False
                conn.execute("DELETE FROM patient_identifiers WHERE patient_id = %s", (patient.id,))
                self._put_identifiers(conn, patient, fields)
                self._put_version(
                    conn, patient.id, patient.version, patient.content, patient.updated_at
                )
        except psycopg.errors.UniqueViolation as exc:
            raise _conflict(exc) from None
        return True

    @_guarded
    def delete(self, patient_id: str, expected: int, at: datetime) -> bool:
        """Soft delete: gone from reads and searches; the row and its audit trail stay."""
        conn = self._connection()
        with conn.transaction():
            cursor = conn.execute(
                "UPDATE patients SET deleted_at = %s, updated_at = %s, version = version + 1 "
                "WHERE id = %s AND version = %s AND deleted_at IS NULL",
                (at, at, patient_id, expected),
            )
            if cursor.rowcount != 1:
                return False
            # Identifiers index live records only: a deleted record's MRN can be reused.
            conn.execute("DELETE FROM patient_identifiers WHERE patient_id = %s", (patient_id,))
            self._put_version(conn, patient_id, expected + 1, None, at)
        return True

    @_guarded
    def search(self, query: SearchQuery, scope: SearchScope, limit: int) -> list[StoredPatient]:
        where = ["p.deleted_at IS NULL"]
        params: dict[str, Any] = {"limit": limit}
        # Authorization first: the organization's records and/or the caller's own.
        allowed = []
        if scope.organization is not None:
            allowed.append("p.organization = %(org)s")
            params["org"] = scope.organization
        if scope.user_id is not None:
            allowed.append("p.user_id = %(user)s")
            params["user"] = scope.user_id
        if not allowed:
            return []
        where.append(f"({' OR '.join(allowed)})")
        if query.family:
            where.append(
                "EXISTS (SELECT 1 FROM unnest(p.family_names) f, unnest(%(family)s::text[]) q "
                "WHERE starts_with(f, q))"
            )
            params["family"] = list(query.family)
        if query.given:
            where.append(
                "EXISTS (SELECT 1 FROM unnest(p.given_names) g, unnest(%(given)s::text[]) q "
                "WHERE starts_with(g, q))"
            )
            params["given"] = list(query.given)
        if query.birthdate is not None:
            where.append(_BIRTHDATE[query.birthdate.prefix])
            params["b_low"], params["b_high"] = query.birthdate.low, query.birthdate.high
        if query.identifiers:
            matches = []
            for i, (system, value) in enumerate(query.identifiers):
                terms = []
                if system is not None:
                    terms.append(f"i.system = %(sys{i})s")
                    params[f"sys{i}"] = system
                if value is not None:
                    terms.append(f"i.value = %(val{i})s")
                    params[f"val{i}"] = value
                matches.append(f"({' AND '.join(terms)})")
            where.append(
                "EXISTS (SELECT 1 FROM patient_identifiers i WHERE i.patient_id = p.id "
                f"AND ({' OR '.join(matches)}))"
            )
        if query.after is not None:
            where.append("p.id > %(after)s")
            params["after"] = query.after
        sql = (
            f"SELECT {', '.join('p.' + c for c in _COLUMNS.split(', '))} FROM patients p "
            f"WHERE {' AND '.join(where)} ORDER BY p.id LIMIT %(limit)s"
        )
        return [_patient(row) for row in self._connection().execute(sql, params).fetchall()]

    @_guarded
    def audit_trail(
        self, patient_id: str, limit: int, after: tuple[datetime, str] | None
    ) -> list[AuditEvent]:
        sql = (
            f"SELECT {_AUDIT_COLUMNS} FROM audit_events "
            "WHERE (patient_id = %(id)s OR patient_ids @> ARRAY[%(id)s]::uuid[]) "
        )
        params: dict[str, Any] = {"id": patient_id, "limit": limit}
        if after is not None:
            sql += "AND (occurred_at, audit_id) > (%(at)s, %(after)s) "
            params["at"], params["after"] = after
        sql += "ORDER BY occurred_at, audit_id LIMIT %(limit)s"
        rows = self._connection().execute(sql, params).fetchall()
        return [_audit(row) for row in rows]

    @_guarded
    def append_audit(self, event: AuditEvent) -> bool:
        """Store one audit event; False if it was stored already (redelivery)."""
        cursor = self._connection().execute(
            f"INSERT INTO audit_events ({_AUDIT_COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (audit_id) DO NOTHING",
            (
                event.audit_id,
                event.occurred_at,
                event.request_id,
                event.action,
                event.outcome,
                event.status,
                event.actor_id,
                list(event.actor_roles),
                event.actor_org,
                event.patient_id,
                list(event.patient_ids),
                list(event.query_params),
            ),
        )
        return cursor.rowcount == 1

    @staticmethod
    def _put_identifiers(
        conn: psycopg.Connection[Any], patient: StoredPatient, fields: SearchFields
    ) -> None:
        if not fields.identifiers:
            return
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO patient_identifiers (patient_id, organization, system, value) "
                "VALUES (%s, %s, %s, %s)",
                [(patient.id, patient.organization, s, v) for s, v in fields.identifiers],
            )


def _audit(row: tuple[Any, ...]) -> AuditEvent:
    (aid, at, request_id, action, outcome, status, actor, roles, org, pid, pids, qp) = row
    return AuditEvent(
        audit_id=str(aid),
        occurred_at=at,
        request_id=request_id,
        action=action,
        outcome=outcome,
        status=status,
        actor_id=actor,
        actor_roles=tuple(roles),
        actor_org=org,
        patient_id=str(pid) if pid else None,
        patient_ids=tuple(str(p) for p in pids),
        query_params=tuple(qp),
    )


def _conflict(exc: psycopg.errors.UniqueViolation) -> Conflict:
    # The error's text quotes the clashing values (PHI): only its constraint is used.
    constraint = exc.diag.constraint_name or ""
    if constraint == "patients_user_link":
        return Conflict("another patient record is already linked to this user")
    if constraint.startswith("patient_identifiers"):
        return Conflict("another patient of this organization has the same identifier")
    return Conflict("the patient conflicts with an existing record")
