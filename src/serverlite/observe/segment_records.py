"""What the tracer records on the hot path, and the X-Ray documents made from it when a
trace is read.

Building a segment document (nested dicts, a dozen fields, ids for its subsegments)
cost the serving thread more than the rest of tracing together, and the writer thread
paid again to encode it. So a request records one flat tuple per kind of segment, the
fields only (``tracing.Tracer`` makes them); the writer stores it as a JSON array, and
``documents`` turns it into the documents X-Ray has when the trace is read (by the
X-Ray API, ``serverlite traces``, the console). Every record starts with its kind,
the trace id and the earliest start time of its documents (the store's row keys):

- ``API``: API Gateway's stage segment and its ``Lambda`` integration subsegment.
- ``INVOCATION``: Lambda's service segment (``AWS::Lambda``; ``Dwell Time`` and
  ``Attempt #n`` for an asynchronous invocation) and the function segment
  (``AWS::Lambda::Function`` with ``Initialization`` and ``Invocation``); a throttled
  invocation has the service segment alone.
- ``CALL``: an AWS call a function made, an ``aws`` subsegment of its function segment.

Subsegment and exception ids are derived from their segment's id, so a trace reads
the same every time.
"""

from __future__ import annotations

from typing import Any

Record = tuple[Any, ...]
Document = dict[str, Any]

API = "A"
INVOCATION = "L"
CALL = "C"

_MASK = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15  # odd: multiplying by it is a bijection on 64 bits


def derived_id(base: str, n: int) -> str:
    """The ``n``th id derived from segment id ``base`` (16 hex digits, as X-Ray's)."""
    return f"{(int(base, 16) * _MIX + n) & _MASK:016x}"


def document_count(item: Document | Record | list[Any]) -> int:
    """How many documents a stored item stands for (X-Ray's cap counts documents)."""
    if isinstance(item, dict):
        return 1
    if item[0] == INVOCATION and not item[18]:  # not throttled: service and function
        return 2
    return 1


def documents(record: Record | list[Any]) -> list[Document]:
    """The X-Ray documents of one record (a tuple, or the JSON array it was stored as)."""
    kind = record[0]
    if kind == API:
        return [_api(record)]
    if kind == INVOCATION:
        return _invocation(record)
    if kind == CALL:
        return [_call(record)]
    raise ValueError(f"unknown trace record kind {kind!r}")


def flag_status(doc: Document, status: int) -> None:
    """X-Ray's flags for an HTTP status: 429 throttle (an error), 4xx error, 5xx fault."""
    if status == 429:
        doc["throttle"] = True
    if 400 <= status < 500:
        doc["error"] = True
    elif status >= 500:
        doc["fault"] = True


def _api(r: Record | list[Any]) -> Document:
    (
        _,
        root,
        start,
        end,
        parent,
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
        region,
    ) = r
    doc: Document = {
        "trace_id": root,
        "id": segment_id,
        "name": name,
        "origin": "AWS::ApiGateway::Stage",
        "start_time": start,
        "end_time": end,
        "http": {
            "request": {"method": method, "url": url, "client_ip": client_ip},
            "response": {"status": status},
        },
        "aws": {"api_id": api_id, "stage": stage, "request_id": request_id},
        "resource_arn": f"arn:aws:apigateway:{region}::/restapis/{api_id}/stages/{stage}",
    }
    if parent:
        doc["parent_id"] = parent
    flag_status(doc, status)
    if integration_start is not None and function_name is not None:
        doc["subsegments"] = [
            {
                "id": integration_id,
                "name": "Lambda",
                "namespace": "aws",
                "start_time": integration_start,
                "end_time": integration_end,
                "aws": {
                    "function_name": function_name,
                    "region": region,
                    "operation": "Invoke",
                    "resource_names": [function_name],
                },
            }
        ]
    return doc


def _invocation(r: Record | list[Any]) -> list[Document]:
    (
        _,
        root,
        _first,
        start,
        finish,
        parent,
        service_id,
        function_id,
        account_id,
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
    ) = r
    service: Document = {
        "trace_id": root,
        "id": service_id,
        "name": function_name,
        "origin": "AWS::Lambda",
        "start_time": start,
        "end_time": finish,
        "http": {"response": {"status": 429 if throttled else 200}},
        "aws": {"request_id": request_id, "account_id": account_id},
        "resource_arn": function_arn,
    }
    if parent:
        service["parent_id"] = parent
    if throttled:
        service["error"] = service["throttle"] = True
        return [service]
    if enqueued_at is not None:
        # An asynchronous invocation: the time the event waited, then this attempt.
        service["start_time"] = min(enqueued_at, start)
        service["subsegments"] = [
            {
                "id": derived_id(service_id, 1),
                "name": "Dwell Time",
                "start_time": service["start_time"],
                "end_time": start,
            },
            {
                "id": derived_id(service_id, 2),
                "name": f"Attempt #{max(attempt, 1)}",
                "start_time": start,
                "end_time": finish,
                "http": {"response": {"status": 200}},
            },
        ]
    if platform_error is not None:
        service["fault"] = True
    # The handler ran for the last duration_ms; a cold start's init came just before.
    begun = start
    if duration_ms is not None:
        begun = max(start, finish - duration_ms / 1000)
    invocation: Document = {
        "id": derived_id(function_id, 1),
        "name": "Invocation",
        "start_time": begun,
        "end_time": finish,
    }
    subsegments = [invocation]
    function_start = begun
    if init_ms is not None:
        function_start = max(start, begun - init_ms / 1000)
        subsegments.insert(
            0,
            {
                "id": derived_id(function_id, 2),
                "name": "Initialization",
                "start_time": function_start,
                "end_time": begun,
            },
        )
    function: Document = {
        "trace_id": root,
        "id": function_id,
        "parent_id": service_id,
        "name": function_name,
        "origin": "AWS::Lambda::Function",
        "start_time": function_start,
        "end_time": finish,
        "aws": {
            "function_arn": function_arn,
            "resource_names": [function_name],
            "account_id": account_id,
        },
        "resource_arn": function_arn,
        "subsegments": subsegments,
    }
    if not ok:
        # An unhandled error faults the invocation (X-Ray shows the function red).
        cause = {
            "exceptions": [
                {
                    "id": derived_id(function_id, 3),
                    "type": platform_error or error_type or "Unhandled",
                    "message": error_message or "",
                }
            ]
        }
        for target in (function, invocation):
            target["fault"] = True
        invocation["cause"] = cause
    return [service, function]


def _call(r: Record | list[Any]) -> Document:
    _, root, start, end, sub_id, parent_id, name, status, error_code, aws = r
    doc: Document = {
        "type": "subsegment",
        "trace_id": root,
        "id": sub_id,
        "parent_id": parent_id,
        "name": name,
        "namespace": "aws",
        "start_time": start,
        "end_time": end,
        "http": {"response": {"status": status}},
        "aws": aws,
    }
    if error_code is not None:
        flag_status(doc, status)
        doc["cause"] = {
            "exceptions": [{"id": derived_id(sub_id, 1), "type": error_code, "remote": True}]
        }
    return doc
