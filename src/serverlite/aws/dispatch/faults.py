"""Injected service faults: a service answers errors, or slowly, for its next N calls.

    fault = check(ServiceFault("dynamodb", "PutItem", error="ThrottlingException", times=3))
    faults.inject(fault)

A test's way to see what its code does when an AWS service misbehaves, without patching
a client: ``calls.call`` (the one place every operation runs, on the wire and
in-process) takes the fault before the operation runs, so the error goes out through the
service's own dispatcher in its protocol's shape (JSON ``__type`` with the service's
namespace, query XML, rest-json ``x-amzn-ErrorType``, S3's ``<Error>``). botocore's retry
handler then sees exactly what AWS would send: ``ProvisionedThroughputExceededException``
(400) is retried by DynamoDB's policy, ``ThrottlingException`` by every service's, a 500
or 503 as a server error. A latency fault delays the answer (the operation then runs,
unless an error is injected too), so a client's read timeout can be met.

The fault registry of a cloud is made current for a request by ``Scope`` (endpoint
middleware) and for in-process calls by the local client; without one nothing is
injected.
"""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from serverlite.aws.backend import AwsError, Operations
from serverlite.errors import ConfigError

# boto3's service name -> the name each service's operations table carries.
SERVICES = {
    "dynamodb": "DynamoDB",
    "dynamodbstreams": "DynamoDB Streams",
    "sqs": "SQS",
    "sns": "SNS",
    "events": "EventBridge",
    "scheduler": "Scheduler",
    "stepfunctions": "Step Functions",
    "secretsmanager": "Secrets Manager",
    "ssm": "SSM",
    "logs": "CloudWatch Logs",
    "cloudwatch": "CloudWatch",
    "xray": "X-Ray",
    "kinesis": "Kinesis",
    "s3": "S3",
    "lambda": "Lambda",
}
# Errors AWS's front end answers for any service (not in every service's model): their
# HTTP status. S3 throttles with SlowDown (503).
COMMON_ERRORS = {
    "ThrottlingException": 400,
    "Throttling": 400,
    "TooManyRequestsException": 429,
    "RequestLimitExceeded": 400,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    "SlowDown": 503,
}


@dataclass
class ServiceFault:
    """One injected fault: ``error`` (an exception name of the service) and/or
    ``latency_s``, for ``times`` calls (None: until cleared) of ``operation`` (None: any)."""

    service: str  # boto3's name: "dynamodb"
    operation: str | None = None
    error: str | None = None
    latency_s: float = 0.0
    times: int | None = 1
    message: str | None = None
    status: int | None = None  # None: the model's status for the error (400 when unsaid)
    hits: int = 0  # calls it has met so far
    _query_compatible: bool = field(default=False, repr=False)
    _model_code: str | None = field(default=None, repr=False)  # SNS's "Throttled"

    @property
    def spent(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def matches(self, service: str, operation: str) -> bool:
        return SERVICES[self.service] == service and self.operation in (None, operation)

    def error_for(self, ops: Operations, operation: str) -> AwsError | None:
        if self.error is None:
            return None
        message = self.message or f"{self.error} on {operation} (a fault injected by the test)"
        exc = AwsError(self.error, message, self.status or 400)
        # The query protocol's code: the model's (SNS: Throttled for ThrottledException),
        # or the service's own table where the model has none (SQS: AWS.SimpleQueueService.*)
        query_code = ops.query_codes.get(self.error) or self._model_code
        exc.query_code = query_code
        if self._query_compatible:  # SQS, CloudWatch on JSON: botocore reports this code
            kind = "Sender" if exc.status < 500 else "Receiver"
            exc.headers["x-amzn-query-error"] = f"{query_code or self.error};{kind}"
        return exc


class ServiceFaults:
    """The faults waiting for a cloud's service calls, in the order injected."""

    def __init__(self) -> None:
        self._waiting: list[ServiceFault] = []

    def inject(self, fault: ServiceFault) -> ServiceFault:
        """Arm a fault (``check``ed first: it reads botocore's model, so callers on the
        event loop's thread check it before)."""
        self._waiting.append(fault)
        return fault

    def take(self, service: str, operation: str) -> ServiceFault | None:
        """The fault the next call of ``service`` (its table's name) meets, counted."""
        for fault in self._waiting:
            if fault.matches(service, operation):
                fault.hits += 1
                if fault.spent:
                    self._waiting.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self._waiting.clear()

    def __bool__(self) -> bool:
        return bool(self._waiting)


FAULTS: ContextVar[ServiceFaults | None] = ContextVar("serverlite_faults", default=None)


async def meet(ops: Operations, operation: str) -> None:
    """Called before an operation runs: wait out an injected latency, raise an injected
    error."""
    faults = FAULTS.get()
    if not faults:
        return
    fault = faults.take(ops.service, operation)
    if fault is None:
        return
    if fault.latency_s > 0:
        await asyncio.sleep(fault.latency_s)
    error = fault.error_for(ops, operation)
    if error is not None:
        raise error


class Current:
    """Endpoint middleware: the cloud's faults are current while a request is served."""

    def __init__(self, app: ASGIApp, faults: ServiceFaults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = FAULTS.set(self.faults)
        try:
            await self.app(scope, receive, send)
        finally:
            FAULTS.reset(token)


def check(fault: ServiceFault) -> ServiceFault:
    """Names checked against botocore's model (a typo fails the test, not silently
    injects nothing); the error's HTTP status and query-protocol code read from it."""
    if fault.service not in SERVICES:
        raise ConfigError(
            f"no emulated service {fault.service!r} to inject a fault into; "
            f"one of {', '.join(sorted(SERVICES))}"
        )
    if fault.times is not None and fault.times < 1:
        raise ConfigError(f"times must be at least 1 (or None: until cleared), not {fault.times}")
    if fault.latency_s < 0:
        raise ConfigError(f"latency must not be negative, not {fault.latency_s}")
    if fault.error is None and fault.latency_s == 0:
        raise ConfigError("a service fault needs an error, a latency, or both")
    model = _model(fault.service)
    if fault.operation is not None and fault.operation not in model.operation_names:
        raise ConfigError(f"{fault.service} has no operation {fault.operation!r}")
    if fault.error is None:
        return fault
    fault._query_compatible = "awsQueryCompatible" in model.metadata
    shape = next(
        (s for s in model.error_shapes if fault.error in (s.name, s.error_code)),
        None,
    )
    if shape is None:
        if fault.error not in COMMON_ERRORS:
            raise ConfigError(
                f"{fault.service} defines no error {fault.error!r}; its errors: "
                f"{', '.join(sorted(s.name for s in model.error_shapes))}; "
                f"or one any service answers: {', '.join(sorted(COMMON_ERRORS))}"
            )
        fault.status = fault.status or COMMON_ERRORS[fault.error]
        return fault
    error = shape.metadata.get("error", {})
    default = 500 if shape.metadata.get("fault") else 400
    fault.status = fault.status or int(error.get("httpStatusCode", default))
    fault.error = shape.name
    code = error.get("code")
    fault._model_code = code if code and code != shape.name else None
    return fault


def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)
