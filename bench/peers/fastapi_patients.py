"""GET /patients/{id} and POST /patients as a plain FastAPI app: the patients bench's peer.

The same logic as the serverlite stack, without serverlite: the service's own code
(services/patients/src and its four layers) behind FastAPI on uvicorn.

- Auth, as the HTTP API's JWT authorizer does it: PyJWT's ``PyJWKClient`` fetches
  the issuer's JWKS once and keeps it (refetched for an unknown ``kid``, as the
  gateway does); signature (ES256/RS256), ``iss``, ``aud``, ``exp`` and the route's
  scope are checked (401 / 403 ``{"message": ...}``); then the very same
  ``PatientService`` reads the principal (patients_auth) and applies the policy.
- The service: ``PatientService`` with ``PostgresStore``, FHIR validation, the
  same replies (``Reply.to_api_gateway()`` becomes the response).
- Logs and metrics: the logging layer's Powertools Logger (JSON, PHI scrubbed, the
  request id as correlation id) writes one "request handled" line per request, and
  the metrics layer's ``measure`` writes one EMF line (a Powertools EMF provider per
  request: Powertools ``Metrics`` keeps its metrics in class attributes, shared by
  the threads). Both go to stdout, as a function's do.
- Audit, two ways (``PEER_AUDIT``):
  ``bus`` (the same logic): the service's own ``EventBridgeAudit`` publishes each
  event with boto3's ``put_events`` inside the request, to the same local
  EventBridge bus (``AWS_ENDPOINT_URL``, ``AUDIT_BUS_NAME``), whose RecordAudit
  consumer appends the row, exactly as for the functions.
  ``task`` (no bus): ``PostgresStore.append_audit`` in a FastAPI background task
  after the response: what a plain app without an event bus would do. Same row;
  the difference is durability (a background task is lost if the process dies) and
  the cost of a boto3 call per request.
- Database: a psycopg_pool ``ConnectionPool`` of POOL_SIZE (PEER_POOL_SIZE, 10 by
  default; the bench splits 10 across its workers) connections per process, opened
  at startup with the data layer's options (autocommit, statement_timeout 5 s); a
  request holds one for its whole handling, the audit task one for its insert (the
  pool replaces a connection that broke). FastAPI runs the ``def`` endpoints, the
  token dependency and the background tasks in AnyIO's thread pool (40 threads at
  most): a connection per thread would be up to 40 connections, and serverlite's
  own functions already hold up to ~90 of the embedded server's 100.
- uvicorn (uvloop + httptools), no access log; the bench runs one worker per core.

Configured by the environment: DATABASE_URL, JWT_ISSUER, JWT_AUDIENCE (default
``patients``), PEER_AUDIT (``bus`` or ``task``; ``bus`` needs AWS_ENDPOINT_URL and
AUDIT_BUS_NAME), POWERTOOLS_SERVICE_NAME / POWERTOOLS_METRICS_NAMESPACE. With
services/patients/src and services/patients/layers/*/python on PYTHONPATH:

    uvicorn fastapi_patients:app --app-dir bench/peers --host 127.0.0.1 --workers 2
"""

from __future__ import annotations

import base64
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import boto3
import jwt
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)
from fastapi import BackgroundTasks, Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from patients.audit import AuditEvent
from patients.bus import EventBridgeAudit
from patients.errors import FhirError, Unavailable
from patients.http import ApiRequest, Reply, error_reply
from patients.service import PatientService
from patients.store import PostgresStore
from patients_auth.policy import Action
from patients_logging.logger import get_logger
from patients_metrics import measure
from psycopg_pool import ConnectionPool, PoolTimeout

DATABASE_URL = os.environ["DATABASE_URL"]
ISSUER = os.environ["JWT_ISSUER"].rstrip("/")
AUDIENCE = os.environ.get("JWT_AUDIENCE", "patients")
ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512"]

POOL_SIZE = int(os.environ.get("PEER_POOL_SIZE", "10"))
AUDIT = os.environ.get("PEER_AUDIT", "bus")

logger = get_logger()
pool = ConnectionPool(
    DATABASE_URL,
    min_size=POOL_SIZE,
    max_size=POOL_SIZE,
    kwargs={
        "autocommit": True,
        "connect_timeout": 5,
        "options": "-c statement_timeout=5000",
        "application_name": "patients-fastapi",
    },
    open=False,
)
# boto3 clients are safe to share between threads; one, as a function keeps one.
bus = (
    EventBridgeAudit(boto3.client("events"), os.environ["AUDIT_BUS_NAME"])
    if AUDIT == "bus"
    else None
)
jwks = jwt.PyJWKClient(f"{ISSUER}/.well-known/jwks.json", cache_jwk_set=True, lifespan=3600)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    pool.open(wait=True)
    yield
    pool.close()


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=_lifespan)


class _Refused(HTTPException):
    pass


@app.exception_handler(_Refused)
def _refused(request: Request, exc: _Refused) -> JSONResponse:
    # API Gateway's words for a refused token.
    return JSONResponse({"message": exc.detail}, exc.status_code, headers=exc.headers)


def _claims(scope: str) -> Callable[[Request], dict[str, Any]]:
    def verified(request: Request) -> dict[str, Any]:
        raw = request.headers.get("authorization", "")
        token = raw[7:].strip() if raw[:7].lower() == "bearer " else raw.strip()
        if not token:
            raise _Refused(401, "Unauthorized", {"www-authenticate": "Bearer"})
        try:
            key = jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp"]},
            )
        except jwt.PyJWTError:
            raise _Refused(401, "Unauthorized", {"www-authenticate": "Bearer"}) from None
        if scope not in str(claims.get("scope") or claims.get("scp") or "").split():
            raise _Refused(403, "Forbidden")
        return claims

    return verified


async def _body(request: Request) -> bytes:
    return await request.body()


class _BackgroundAudit:
    """The service's audit publisher: the event is appended after the response."""

    def __init__(self, tasks: BackgroundTasks) -> None:
        self._tasks = tasks

    def publish(self, event: AuditEvent) -> None:
        self._tasks.add_task(_append_audit, event)


def _append_audit(event: AuditEvent) -> None:
    try:
        with pool.connection() as conn:
            PostgresStore(lambda: conn).append_audit(event)
    except Exception as exc:
        logger.error("audit event not stored", extra={"exception_name": type(exc).__name__})


def _handle(
    action: Action,
    operation: str,
    request: Request,
    claims: dict[str, Any],
    tasks: BackgroundTasks,
    path_id: str | None = None,
    body: bytes | None = None,
) -> Response:
    request_id = str(uuid.uuid4())
    metrics = AmazonCloudWatchEMFProvider()
    text, is_base64 = None, False
    if body:
        try:
            text = body.decode()
        except UnicodeDecodeError:  # the service answers "not UTF-8", as behind the gateway
            text, is_base64 = base64.b64encode(body).decode(), True
    api_request = ApiRequest(
        request_id=request_id,
        headers={k.lower(): v for k, v in request.headers.items()},
        path_id=path_id,
        query=dict(request.query_params),
        base_url=str(request.base_url).rstrip("/"),
        body=text,
        is_base64=is_base64,
        # What the service reads the principal from (patients_auth.principal).
        event={"requestContext": {"authorizer": {"jwt": {"claims": claims}}}},
    )
    with measure(metrics, operation) as measured:  # type: ignore[arg-type]
        try:
            with pool.connection() as conn:
                audit = bus if bus is not None else _BackgroundAudit(tasks)
                service = PatientService(PostgresStore(lambda: conn), audit)
                reply, measured.denied = service.handle(action, api_request)
        except PoolTimeout:  # as the store answers a database it cannot reach
            reply = error_reply(Unavailable("the patient database is unavailable; retry shortly"))
        except Exception:
            logger.exception(
                "unexpected failure",
                extra={"operation": operation, "correlation_id": request_id},
            )
            reply = error_reply(FhirError("the server failed to handle the request"))
        measured.status = reply.status
    metrics.flush_metrics()
    logger.info(
        "request handled",
        extra={
            "operation": operation,
            "status": reply.status,
            "outcome": _outcome(reply, measured.denied),
            "correlation_id": request_id,
        },
    )
    out = reply.to_api_gateway()
    return Response(out.get("body"), out["statusCode"], headers=out["headers"])


def _outcome(reply: Reply, denied: bool) -> str:
    if denied:
        return "denied"
    if reply.status < 400:
        return "ok"
    return "client_error" if reply.status < 500 else "error"


@app.get("/patients/{patient_id}")
def get_patient(
    patient_id: str,
    request: Request,
    claims: Annotated[dict[str, Any], Depends(_claims("patients:read"))],
    tasks: BackgroundTasks,
) -> Response:
    return _handle("read", "getPatient", request, claims, tasks, path_id=patient_id)


@app.post("/patients")
def create_patient(
    request: Request,
    claims: Annotated[dict[str, Any], Depends(_claims("patients:write"))],
    body: Annotated[bytes, Depends(_body)],
    tasks: BackgroundTasks,
) -> Response:
    return _handle("create", "createPatient", request, claims, tasks, body=body)
