"""An operation run from a service's table: the one place that turns a name and a
request into a response or an AwsError.

The wire dispatchers and in-process callers (destinations, rule targets, SNS fan-out)
run operations through ``call`` alone, so an unknown name, a request of the wrong
shape and an unexpected failure are answered the same way whichever way the request
came, and a failure is logged once, with the request id the client was given.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from serverlite.aws.backend import AwsError, Operations
from serverlite.aws.dispatch import faults
from serverlite.aws.dispatch.faults import FAULTS
from serverlite.observe import service_metrics
from serverlite.observe.service_metrics import PUBLISHER
from serverlite.observe.tracing import CURRENT, CallContext

log = logging.getLogger("serverlite.aws")

# botocore checks shapes before sending; only a hand-made request gets a string where a
# list belongs, so these, raised by an operation, mean the request was malformed.
SHAPE_ERRORS = (TypeError, AttributeError, KeyError, ValueError)


async def call(
    ops: Operations,
    name: str,
    request: dict[str, Any],
    request_id: str,
    *,
    malformed: str | None = None,  # the protocol's name for a wrong shape, if not the service's
) -> Any:
    operation = ops.table.get(name)
    if operation is None:
        raise AwsError("UnknownOperation", f"serverlite's {ops.service} does not implement {name}")
    publisher = PUBLISHER.get()
    if publisher is None or ops.service not in service_metrics.SERVICES:
        if CURRENT.get() is None:  # no caller's trace to record it under: one frame less
            return await _run(ops, operation, name, request, request_id, malformed)
        return await _traced(ops, operation, name, request, request_id, malformed)
    # AWS/SQS, AWS/SNS, AWS/DynamoDB metrics of the call (observe/service_metrics.py).
    started = time.perf_counter()
    result: Any = None
    error = None
    try:
        result = await _traced(ops, operation, name, request, request_id, malformed)
    except AwsError as exc:
        error = (exc.status, exc.code)
        raise
    finally:
        took = (time.perf_counter() - started) * 1000
        service_metrics.record(publisher, ops.service, name, request, result, error, took)
    return result


async def _traced(
    ops: Operations,
    operation: Any,
    name: str,
    request: dict[str, Any],
    request_id: str,
    malformed: str | None,
) -> Any:
    traced = CURRENT.get()
    span = traced.tracer.begin_call(traced.header) if traced is not None else None
    if traced is None or span is None:
        return await _run(ops, operation, name, request, request_id, malformed)
    # A call from a traced function: recorded as its subsegment, which is the parent
    # of whatever the call passes the trace on to.
    token = CURRENT.set(CallContext(traced.tracer, span.header))
    result: Any = None
    error = None
    try:
        result = await _run(ops, operation, name, request, request_id, malformed)
    except AwsError as exc:
        error = (exc.status, exc.code)
        raise
    finally:
        CURRENT.reset(token)
        traced.tracer.end_call(span, ops.service, name, request, result, request_id, error)
    return result


async def _run(
    ops: Operations,
    operation: Any,
    name: str,
    request: dict[str, Any],
    request_id: str,
    malformed: str | None,
) -> Any:
    try:
        if FAULTS.get():  # a test's injected error or latency (none armed: no coroutine)
            await faults.meet(ops, name)
        result = operation(ops.context, request)
        if hasattr(result, "__await__"):  # SQS's long-polling ReceiveMessage, Lambda Invoke
            result = await result
        return result
    except AwsError:
        raise
    except SHAPE_ERRORS as exc:
        log.warning("%s %s (request %s): malformed request: %r", ops.service, name, request_id, exc)
        raise AwsError(
            malformed or ops.malformed, f"The {name} request is malformed: {exc}"
        ) from exc
    except Exception as exc:
        log.exception("%s %s failed (request %s)", ops.service, name, request_id)
        raise AwsError(
            ops.internal, f"{ops.service} failed on {name} (request {request_id})", 500
        ) from exc
