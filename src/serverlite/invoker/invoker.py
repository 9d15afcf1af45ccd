"""The invoker: resolve the function, check the request, take concurrency, run it.

Everything that runs a function (the Lambda Invoke API, the gateway, event sources,
``serverlite invoke``) goes through ``Invoker.invoke``; it raises ``InvokeError``
subclasses for requests AWS would refuse, and returns function errors as results.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import time
from collections.abc import Callable

from serverlite import fastjson, ids
from serverlite.errors import (
    FunctionNotFound,
    InvalidParameterValue,
    InvalidRequestContent,
    RequestTooLarge,
    TooManyRequests,
)
from serverlite.functions import report
from serverlite.functions.environment_process import Invocation
from serverlite.functions.pool import EnvironmentPool
from serverlite.invoker.async_queue import AsyncQueue, Attempt, QueuedEvent, RetryPolicy
from serverlite.invoker.concurrency import ConcurrencyLimits
from serverlite.invoker.faults import Faults, injected_result
from serverlite.invoker.types import INVOCATION_TYPES, InvokeRequest, InvokeResult
from serverlite.invoker.versions import LATEST, Versions
from serverlite.observe.publishing import Publisher
from serverlite.observe.tracing import Tracer
from serverlite.template.model import Application, FunctionSpec

SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6 MB request and response, RequestResponse
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # 1 MB, Event
# AWS's response-size error names a figure 100 bytes over the documented 6 MB, and
# that figure is the limit: a result up to 6,291,556 bytes is returned.
RESPONSE_LIMIT_REPORTED = SYNC_PAYLOAD_LIMIT + 100
LOG_TAIL_BYTES = 4096


class Invoker:
    def __init__(
        self,
        app: Application,
        pool: EnvironmentPool,
        concurrency: ConcurrencyLimits,
        async_queue: AsyncQueue | None = None,
        clock: Callable[[], float] = time.time,
        versions: Versions | None = None,
        tracer: Tracer | None = None,
        publisher: Publisher | None = None,
    ) -> None:
        self.app = app
        self.versions = versions  # published versions and aliases (None: $LATEST only)
        # Records the Lambda service and function segments (a tracer without a store
        # records nothing: functions still get a trace header, as on Lambda).
        self.tracer = tracer or Tracer(None, region="", account_id="")
        self.publisher = publisher or Publisher(None)  # AWS/Lambda metrics
        self.pool = pool
        self.concurrency = concurrency
        self.async_queue = async_queue
        self._clock = clock
        self.faults = Faults()  # injected by tests (serverlite.pytest_plugin)
        # ref -> (function, the ARN's qualifier): the app is frozen, so a name resolves
        # once; qualifiers are looked up each time (aliases change).
        self._resolved: dict[str, tuple[FunctionSpec, str | None]] = {}

    # -- the seam ----------------------------------------------------------------
    async def invoke(self, req: InvokeRequest) -> InvokeResult:
        fn, qualifier = self._qualified(req.function, req.qualifier)
        if req.invocation_type not in INVOCATION_TYPES:
            raise InvalidParameterValue(
                f"1 validation error detected: Value '{req.invocation_type}' at "
                "'invocationType' failed to satisfy constraint: Member must satisfy enum "
                f"value set: [{', '.join(INVOCATION_TYPES)}]"
            )
        request_id = req.request_id or ids.request_id()
        if req.invocation_type == "DryRun":
            return InvokeResult(status_code=204, request_id=request_id)
        limit = ASYNC_PAYLOAD_LIMIT if req.invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(req.payload) > limit:
            raise RequestTooLarge(
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            )
        if req.event is None:
            _check_json(req.payload)
        client_context = _decode_client_context(req.client_context)
        if req.invocation_type == "Event":
            return self._enqueue(fn, req, request_id, qualifier)
        target, invoked_arn = fn, fn.arn
        if qualifier is not None and self.versions is not None:
            target, invoked_arn = self.versions.route(fn, qualifier)
        try:
            self.concurrency.acquire(fn.name)
        except TooManyRequests:
            self.publisher.lambda_count(fn.name, "Throttles")
            if self.tracer.enabled:
                span = self.tracer.begin_invocation(req.trace_id)
                self.tracer.end_invocation(
                    span, fn.name, fn.arn, request_id, ok=False, throttled=True
                )
            raise
        try:
            return await self._run(target, req, request_id, client_context, invoked_arn)
        finally:
            self.concurrency.release(fn.name)

    def resolve(self, ref: str, qualifier: str | None = None) -> FunctionSpec:
        """The function ``ref`` names; a qualifier (given, or in the ARN) must exist."""
        return self._qualified(ref, qualifier)[0]

    def _qualified(self, ref: str, qualifier: str | None) -> tuple[FunctionSpec, str | None]:
        found = self._resolved.get(ref)
        if found is None:
            found = self._resolved[ref] = self._resolve(ref)
        fn, arn_qualifier = found
        qualifier = qualifier or arn_qualifier
        if qualifier is not None and qualifier != LATEST:
            known = self.versions is not None and self.versions.resolved_version(fn, qualifier)
            if not known:
                raise FunctionNotFound(f"Function not found: {fn.arn}:{qualifier}")
        return fn, qualifier

    def _resolve(self, ref: str) -> tuple[FunctionSpec, str | None]:
        name, arn_qualifier = _split_function_ref(ref)
        fn = self.app.find_function(name)
        if fn is None:
            arn = f"arn:aws:lambda:{self.app.region}:{self.app.account_id}:function:{name}"
            raise FunctionNotFound(
                f"Function not found: {arn}" + (f":{arn_qualifier}" if arn_qualifier else "")
            )
        return fn, arn_qualifier

    # -- running -----------------------------------------------------------------
    async def _run(
        self,
        fn: FunctionSpec,
        req: InvokeRequest,
        request_id: str,
        client_context: dict[str, object] | None,
        invoked_arn: str | None = None,
    ) -> InvokeResult:
        fault = self.faults.take(fn.name)
        if fault is not None:
            return injected_result(fault, request_id, float(fn.timeout_s))
        span = self.tracer.begin_invocation(req.trace_id)
        invocation = Invocation(
            request_id=request_id,
            payload=req.payload,
            timeout_s=float(fn.timeout_s),
            trace_id=span.function_header,
            client_context=client_context,
            identity=req.identity,
            invoked_function_arn=invoked_arn or fn.arn,
            on_stream=req.on_stream,
        )
        try:
            outcome = await self.pool.run(fn, invocation)
        except BaseException:
            self.tracer.end_invocation(span, fn.name, fn.arn, request_id, ok=False)
            raise
        payload = outcome.payload
        ok = outcome.ok
        if ok and len(payload) > RESPONSE_LIMIT_REPORTED:
            payload = report.response_too_large_payload(RESPONSE_LIMIT_REPORTED)
            ok = False
        if self.tracer.enabled:
            usage = outcome.usage
            error_type, error_message = (None, None) if ok else _error(payload)
            self.tracer.end_invocation(
                span,
                fn.name,
                fn.arn,
                request_id,
                ok=ok,
                init_ms=usage.init_ms,
                duration_ms=usage.duration_ms,
                platform_error=outcome.platform_error,
                error_type=error_type,
                error_message=error_message,
                enqueued_at=req.enqueued_at,
                attempt=req.attempt,
            )
        if self.publisher.enabled:
            self.publisher.invocation(
                fn.name, outcome.usage.duration_ms, not ok, self.concurrency.running(fn.name)
            )
        log_result = None
        if req.log_type == "Tail":
            text = "".join(message + "\n" for _, message in outcome.logs).encode()
            log_result = base64.b64encode(text[-LOG_TAIL_BYTES:]).decode()
        return InvokeResult(
            status_code=200,
            request_id=request_id,
            payload=payload,
            function_error=None if ok else "Unhandled",
            log_result=log_result,
            executed_version=fn.version,
            outcome=outcome,
        )

    def _enqueue(
        self, fn: FunctionSpec, req: InvokeRequest, request_id: str, qualifier: str | None
    ) -> InvokeResult:
        if self.async_queue is None:
            raise InvalidParameterValue("asynchronous invocation needs `serverlite up`")
        # A qualified invocation is stored as "name:qualifier" (names have no colon) and
        # runs that version or alias when its turn comes.
        stored = fn.name if qualifier in (None, LATEST) else f"{fn.name}:{qualifier}"
        self.async_queue.enqueue(request_id, stored, req.payload, req.trace_id)
        self.publisher.lambda_count(fn.name, "AsyncEventsReceived")
        return InvokeResult(status_code=202, request_id=request_id, executed_version=None)

    async def run_queued(self, event: QueuedEvent) -> Attempt:
        """Runner for the async queue: one attempt of a stored Event invocation."""
        name, _, qualifier = event.function.partition(":")
        fn = self.app.find_function(name)
        if fn is None:  # the function left the template since the event was stored
            return Attempt("gone")
        target, invoked_arn = fn, fn.arn
        if qualifier and self.versions is not None:
            try:
                target, invoked_arn = self.versions.route(fn, qualifier)
            except FunctionNotFound:  # the alias was deleted since
                return Attempt("gone")
        if fn.reserved_concurrency == 0:
            return Attempt("disabled")  # the kill switch: straight to DLQ / on-failure
        try:
            self.concurrency.acquire(fn.name)
        except TooManyRequests:
            self.publisher.lambda_count(fn.name, "Throttles")
            return Attempt("throttled")
        # How long the event waited before this attempt (retries included).
        self.publisher.async_event_age(fn.name, (self._clock() - event.enqueued_at) * 1000)
        try:
            result = await self._run(
                target,
                InvokeRequest(
                    function=fn.name,
                    payload=event.payload,
                    invocation_type="Event",
                    trace_id=event.trace_id,
                    enqueued_at=event.enqueued_at,
                    attempt=event.attempts + 1,
                ),
                event.request_id,
                None,
                invoked_arn,
            )
        except TooManyRequests:  # no environment came free in time: retried, as a throttle
            return Attempt("throttled")
        finally:
            self.concurrency.release(fn.name)
        version = result.executed_version or LATEST
        if result.function_error:
            return Attempt("error", result.payload, result.function_error, version)
        return Attempt("ok", result.payload, executed_version=version)

    def capacity(self, function: str) -> bool:
        """Whether a stored async invocation (``name`` or ``name:qualifier``) would get
        a concurrency slot now."""
        return self.concurrency.available(function.partition(":")[0])

    def retry_policy(self, function_name: str) -> RetryPolicy:
        fn = self.app.find_function(function_name.partition(":")[0])
        config = fn.event_invoke_config if fn is not None else None
        if config is None:
            return RetryPolicy()
        return RetryPolicy(config.maximum_retry_attempts, float(config.maximum_event_age_seconds))


def _error(payload: bytes) -> tuple[str | None, str | None]:
    """A failed invocation's errorType and errorMessage, for its trace."""
    with contextlib.suppress(ValueError, AttributeError, TypeError):
        error = json.loads(payload)
        return error.get("errorType"), error.get("errorMessage")
    return None, None


def _split_function_ref(ref: str) -> tuple[str, str | None]:
    """``name``, ``name:qualifier``, partial ARN or full ARN -> (name, qualifier)."""
    if ref.startswith("arn:"):
        parts = ref.split(":")
        if len(parts) >= 7 and parts[5] == "function":
            return parts[6], parts[7] if len(parts) > 7 else None
        return ref, None
    parts = ref.split(":")
    if len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name[:q]
        return parts[2], parts[3] if len(parts) > 3 else None
    if len(parts) == 2:
        return parts[0], parts[1]
    return ref, None


def _check_json(payload: bytes) -> None:
    if not payload or fastjson.is_json(payload):
        return
    try:
        json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: too deep
        raise InvalidRequestContent(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from exc


def _decode_client_context(value: str | None) -> dict[str, object] | None:
    if not value:
        return None
    try:
        decoded = json.loads(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequestContent(
            "Client context must be a valid Base64-encoded JSON object."
        ) from exc
    if not isinstance(decoded, dict):
        raise InvalidRequestContent("Client context must be a valid Base64-encoded JSON object.")
    if len(value) > 3583:
        raise InvalidRequestContent("Client context must be no larger than 3583 bytes.")
    return decoded
