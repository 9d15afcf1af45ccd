"""Recording traces as X-Ray does for what serverlite runs.

Three kinds of segment, each recorded where the work happens, as a flat record that
becomes X-Ray's documents only when the trace is read (``segment_records``: on the hot
path a request pays for a tuple, not for nested documents):

- **API Gateway** (``api_segment``): one segment per request, origin
  ``AWS::ApiGateway::Stage``, named ``{api}/{stage}``, with a ``Lambda`` subsegment
  for the integration; the function's trace header names that subsegment as parent.
- **Lambda** (``begin_invocation`` / ``end_invocation``): the service segment
  (``AWS::Lambda``: the request as Lambda's front end sees it; an asynchronous one has
  ``Dwell Time`` and ``Attempt #n`` subsegments) and the function segment
  (``AWS::Lambda::Function``, with ``Initialization`` on a cold start and
  ``Invocation``). The function is given ``Root=...;Parent={function segment};Sampled=1``
  as ``_X_AMZN_TRACE_ID``, so the X-Ray SDK's and Powertools Tracer's subsegments (sent
  to the daemon, ``xray_daemon.py``) hang under the function segment.
- **AWS calls** (``begin_call`` / ``end_call``): botocore sends the function's trace
  header with every request; the endpoint records each call as an ``aws`` subsegment
  of the function segment with what the X-Ray SDK records (operation, region, request
  id, table_name, queue_url, ...). Calls the X-Ray SDK already records (its patched
  botocore sends its own subsegment as Parent) are left to it.

Every request is sampled unless its incoming header says ``Sampled=0``: locally there
is no reason to drop any (X-Ray's default rule records 1 a second and 5% beyond).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol

from serverlite.observe.segment_records import API, CALL, INVOCATION, Record
from serverlite.observe.trace_header import (
    TraceHeader,
    header_text,
    new_id,
    new_id_pair,
    new_root,
    parse,
)


class SegmentSink(Protocol):
    def put(self, document: dict[str, Any]) -> None:
        """A document as sent (the X-Ray daemon, PutTraceSegments)."""

    def record(self, item: Record) -> None:
        """A record of segments serverlite made (``segment_records``)."""


@dataclass(slots=True)
class CallContext:
    """What an AWS request in progress carries: its trace header, and the tracer."""

    tracer: Tracer
    header: TraceHeader


# Set by the AWS endpoint per request (and by deliveries that continue a trace): read
# by the operations that pass a trace on (SQS's AWSTraceHeader, Lambda Invoke, ...).
CURRENT: ContextVar[CallContext | None] = ContextVar("serverlite_trace", default=None)


def current_header() -> str | None:
    """The trace header of the AWS request being served, as text (None: untraced)."""
    context = CURRENT.get()
    return context.header.format() if context is not None else None


@dataclass(slots=True)
class InvocationSpan:
    """One invocation's trace: the header the function gets and its segments' ids."""

    header: TraceHeader  # what the caller sent (root, caller's segment as parent)
    service_id: str
    function_id: str
    start: float
    started: float  # perf_counter at start

    @property
    def function_header(self) -> str:
        return header_text(self.header.root, self.function_id, self.header.sampled)


@dataclass(slots=True)
class CallSpan:
    header: TraceHeader  # the call's own header: Parent is this subsegment
    parent_id: str
    start: float
    started: float


# X-Ray names an AWS call's subsegment by the service's endpoint prefix, as the SDK does.
_SERVICE_NAMES = {
    "Secrets Manager": "secretsmanager",
    "EventBridge": "events",
    "CloudWatch": "monitoring",
    "CloudWatch Logs": "logs",
}
# Lambda's rest-json operation names, as botocore names them.
_OPERATION_NAMES = {"InvokeFunction": "Invoke"}
# Request parameters the X-Ray SDK records (aws_para_whitelist.json), snake-cased.
_REQUEST_FIELDS = {
    "TableName": "table_name",
    "IndexName": "index_name",
    "QueueUrl": "queue_url",
    "QueueName": "queue_name",
    "TopicArn": "topic_arn",
    "FunctionName": "function_name",
    "InvocationType": "invocation_type",
    "SecretId": "secret_id",
    "EventBusName": "event_bus_name",
}


class Tracer:
    def __init__(
        self,
        sink: SegmentSink | None,
        *,
        region: str,
        account_id: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sink = sink  # None: tracing off (functions still get a trace header)
        self.region = region
        self.account_id = account_id
        self._clock = clock  # epoch seconds
        # Function segments of invocations running now: their AWS calls are recorded.
        self._active: dict[str, str] = {}

    @property
    def enabled(self) -> bool:
        return self.sink is not None

    def now(self) -> float:
        return self._clock()

    # -- API Gateway -----------------------------------------------------------------
    def incoming(self, sent: str | None, root: str | None = None) -> TraceHeader:
        """The trace a request continues: the client's header (its root, parent and
        sampling decision), or a new sampled trace."""
        parsed = parse(sent)
        if parsed is not None and (root is None or parsed.root == root):
            sampled = parsed.sampled if parsed.sampled is not None else True
            return TraceHeader(parsed.root, parsed.parent, sampled)
        return TraceHeader(root or new_root(self._clock()), None, True)

    def api_request(self, sent: str | None, root: str) -> tuple[TraceHeader, str, str, str]:
        """An API request's trace (``incoming``), the ids of its stage segment and of
        that segment's ``Lambda`` subsegment, and the header the function gets (its
        Parent is the subsegment), made in one go: every request pays for this."""
        header = TraceHeader(root, None, True) if sent is None else self.incoming(sent, root)
        segment_id, integration_id = new_id_pair()
        function = header_text(header.root, integration_id, header.sampled)
        return header, segment_id, integration_id, function

    def api_segment(
        self,
        header: TraceHeader,
        segment_id: str,
        integration_id: str,
        *,
        name: str,
        api_id: str,
        stage: str,
        request_id: str,
        method: str,
        url: str,
        client_ip: str,
        status: int,
        start: float,
        end: float,
        integration: tuple[float, float] | None,
        function_name: str | None,
    ) -> None:
        sink = self.sink
        if sink is None or header.sampled is False:
            return
        integration_start, integration_end = integration or (None, None)
        sink.record(
            (
                API,
                header.root,
                start,
                end,
                header.parent,
                segment_id,
                integration_id,
                name,
                api_id,
                stage,
                request_id,
                method,
                url,
                client_ip,
                status,
                integration_start,
                integration_end,
                function_name,
                self.region,
            )
        )

    # -- Lambda ----------------------------------------------------------------------
    def begin_invocation(self, caller: str | None) -> InvocationSpan:
        """The segments' ids and the header the function gets; registers the function
        segment so the function's AWS calls are recorded under it."""
        header = parse(caller)
        if header is None:
            header = TraceHeader(new_root(self._clock()), None, True)
        elif header.sampled is None:
            header = TraceHeader(header.root, header.parent, True)
        span = InvocationSpan(header, new_id(), new_id(), self._clock(), time.perf_counter())
        if self.sink is not None and header.sampled:
            self._active[span.function_id] = header.root
        return span

    def end_invocation(
        self,
        span: InvocationSpan,
        function_name: str,
        function_arn: str,
        request_id: str,
        *,
        ok: bool = True,
        init_ms: float | None = None,
        duration_ms: float | None = None,  # the handler's run (the REPORT line's Duration)
        platform_error: str | None = None,  # Sandbox.Timedout, Runtime.OutOfMemory, ...
        error_type: str | None = None,
        error_message: str | None = None,
        throttled: bool = False,
        enqueued_at: float | None = None,  # asynchronous: when Lambda accepted the event
        attempt: int = 0,  # asynchronous: 1, 2, 3
    ) -> None:
        """How the invocation ended, recorded as its segments (fields, not an object:
        every invocation ends here)."""
        self._active.pop(span.function_id, None)
        sink = self.sink
        header = span.header
        if sink is None or not header.sampled:
            return
        finish = span.start + (time.perf_counter() - span.started)
        first = span.start
        if enqueued_at is not None and not throttled:
            first = min(enqueued_at, first)  # Dwell Time: since Lambda took the event
        sink.record(
            (
                INVOCATION,
                header.root,
                first,
                span.start,
                finish,
                header.parent,
                span.service_id,
                span.function_id,
                self.account_id,
                function_name,
                function_arn,
                request_id,
                ok,
                init_ms,
                duration_ms,
                platform_error,
                error_type,
                error_message,
                throttled,
                enqueued_at,
                attempt,
            )
        )

    # -- AWS calls -------------------------------------------------------------------
    def begin_call(self, header: TraceHeader | None) -> CallSpan | None:
        """A call from a running function (its header's Parent is the function segment):
        the subsegment that will record it, and the header the call passes on."""
        if self.sink is None or header is None or header.parent not in self._active:
            return None
        sub_id = new_id()
        return CallSpan(header.child(sub_id), header.parent, self._clock(), time.perf_counter())

    def end_call(
        self,
        span: CallSpan,
        service: str,
        operation: str,
        request: Mapping[str, Any],
        result: Any,
        request_id: str,
        error: tuple[int, str] | None,
    ) -> None:
        sink = self.sink
        if sink is None:
            return
        operation = _OPERATION_NAMES.get(operation, operation)
        aws: dict[str, Any] = {
            "operation": operation,
            "region": self.region,
            "request_id": request_id,
            "retries": 0,
        }
        aws.update(_call_fields(request, result))
        sink.record(
            (
                CALL,
                span.header.root,
                span.start,
                span.start + (time.perf_counter() - span.started),
                span.header.parent,
                span.parent_id,
                _SERVICE_NAMES.get(service, service.lower().replace(" ", "")),
                error[0] if error is not None else 200,
                error[1] if error is not None else None,
                aws,
            )
        )


def _call_fields(request: Mapping[str, Any], result: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    body: Mapping[str, Any] = request
    path = request.get("path")
    if isinstance(path, Mapping):  # rest-json: {"path", "query", "headers", "body"}
        if "name" in path:
            fields["function_name"] = path["name"]
        headers = request.get("headers")
        if isinstance(headers, Mapping) and "x-amz-invocation-type" in headers:
            fields["invocation_type"] = headers["x-amz-invocation-type"]
        sent = request.get("body")
        body = sent if isinstance(sent, Mapping) else {}
    for key, name in _REQUEST_FIELDS.items():
        value = body.get(key)
        if isinstance(value, str):
            fields[name] = value
    items = body.get("RequestItems")
    if isinstance(items, Mapping):
        fields["table_names"] = list(items)
    if isinstance(result, Mapping) and isinstance(result.get("MessageId"), str):
        fields["message_id"] = result["MessageId"]
    return fields
