"""The patients functions: thin adapters from Lambda events to PatientService.

Each API function is one operation; the four layers do the rest: auth (who, and
may they), logging (JSON, correlation id = the API request id, PHI scrubbed),
metrics (count, duration, errors per operation) and data (PostgreSQL). Powertools
Tracer records each invocation in X-Ray (``## <operation>`` with the operation and
outcome as annotations, the AWS calls it makes); responses and exceptions are not
captured as metadata, since they hold PHI.
Nothing escapes a handler unlogged: an unexpected error is logged (scrubbed) and
answered 500 with an OperationOutcome, so no stack trace with PHI reaches the
runtime's own log lines.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import boto3
from aws_lambda_powertools import Tracer
from aws_lambda_powertools.logging import correlation_paths
from patients_auth.policy import Action
from patients_data.connection import connection, reset
from patients_logging.logger import get_logger
from patients_metrics import get_metrics, measure

from patients.audit import from_detail
from patients.bus import EventBridgeAudit
from patients.errors import FhirError
from patients.http import error_reply, from_event
from patients.routes import BY_OPERATION
from patients.service import PatientService
from patients.store import PostgresStore

logger = get_logger()
metrics = get_metrics()
tracer = Tracer()  # service name from POWERTOOLS_SERVICE_NAME
_service: PatientService | None = None
_store: PostgresStore | None = None

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def store() -> PostgresStore:
    global _store
    if _store is None:
        _store = PostgresStore(connection, reset)
    return _store


def service() -> PatientService:
    global _service
    if _service is None:  # once per warm environment
        _service = PatientService(
            store=store(),
            audit=EventBridgeAudit(boto3.client("events"), os.environ["AUDIT_BUS_NAME"]),
            on_audit_failure=_audit_failed,
        )
    return _service


class AuditNotStored(Exception):
    """Raised to EventBridge, so that it retries (then dead-letters) the event."""


def _audit_failed(exc: Exception) -> None:
    logger.error("audit event not published", extra={"exception_name": type(exc).__name__})
    metrics.add_metric(name="AuditPublishFailures", unit="Count", value=1)


def _api(operation: str) -> Handler:
    action: Action | None = BY_OPERATION[operation].action
    assert action is not None

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        tracer.put_annotation(key="operation", value=operation)
        with measure(metrics, operation) as measured:
            try:
                reply, measured.denied = service().handle(action, from_event(event))
            except Exception:
                logger.exception("unexpected failure", extra={"operation": operation})
                reply = error_reply(FhirError("the server failed to handle the request"))
            measured.status = reply.status
        outcome = (
            "denied"
            if measured.denied
            else "ok"
            if reply.status < 400
            else "client_error"
            if reply.status < 500
            else "error"
        )
        tracer.put_annotation(key="outcome", value=outcome)
        logger.info(
            "request handled",
            extra={"operation": operation, "status": reply.status, "outcome": outcome},
        )
        return reply.to_api_gateway()

    handler.__name__ = operation  # Tracer's subsegment: "## getPatient"
    traced = tracer.capture_lambda_handler(capture_response=False, capture_error=False)
    logged = logger.inject_lambda_context(
        correlation_id_path=correlation_paths.API_GATEWAY_HTTP, clear_state=True
    )
    return logged(traced(metrics.log_metrics(handler)))


# One per route of routes.ROUTES (its handler string names these).
get_patient = _api("getPatient")
vread_patient = _api("vreadPatient")
create_patient = _api("createPatient")
update_patient = _api("updatePatient")
delete_patient = _api("deletePatient")
search_patients = _api("searchPatients")
get_patient_audit = _api("getPatientAudit")


@logger.inject_lambda_context(correlation_id_path="detail.requestId", clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def record_audit(event: dict[str, Any], context: Any) -> None:
    """The audit consumer (an EventBridge rule on the audit bus): append the event.

    A malformed event raises, so EventBridge retries it and then parks it in the
    rule's dead-letter queue: an audit record is never dropped silently.
    """
    with measure(metrics, "recordAudit") as measured:
        try:
            audit_event = from_detail(event.get("detail"))
        except ValueError:
            measured.status = 400
            logger.exception("not a patients audit event")
            raise AuditNotStored("the event is not a patients audit event") from None
        try:
            stored = store().append_audit(audit_event)
        except Exception:
            logger.exception("audit event not stored", extra={"audit_id": audit_event.audit_id})
            # Raised without its cause: the runtime prints tracebacks unscrubbed.
            raise AuditNotStored("the audit event was not stored; EventBridge retries") from None
        measured.status = 200
    logger.info(
        "audit event stored" if stored else "audit event already stored",
        extra={"audit_id": audit_event.audit_id, "action": audit_event.action},
    )
