"""X-Ray's operations over the trace store (``serverlite.observe``).

PutTraceSegments takes documents as the daemon does; GetTraceSummaries reads the
traces with a segment in the time range and applies the filter expression
(``observe.trace_filter``); BatchGetTraces returns assembled segment documents;
GetServiceGraph and GetTraceGraph draw the services and the calls between them.
"""

from __future__ import annotations

import json
from typing import Any

from serverlite.aws.backend import AwsError, ServiceContext
from serverlite.observe import service_graph
from serverlite.observe.observer import Observer
from serverlite.observe.trace_assembly import assemble, facts, summary
from serverlite.observe.trace_filter import FilterError, compile_filter
from serverlite.observe.traces import TraceStore

SUMMARY_PAGE = 100  # X-Ray pages trace summaries
TRACES_PAGE = 5  # BatchGetTraces answers up to 5 traces per call
MAX_RANGE_S = 24 * 3600  # X-Ray's longest time range for one GetTraceSummaries


class XrayContext:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    @property
    def store(self) -> TraceStore:
        observer = self.context.observer
        if not isinstance(observer, Observer) or observer.traces is None:
            raise AwsError("InvalidRequestException", "tracing is off in this serverlite")
        observer.traces.flush()  # what was recorded before the call is readable
        return observer.traces

    @property
    def account_id(self) -> str:
        return self.context.account_id


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidRequestException", message)


def _time(value: Any, name: str) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _invalid(f"{name} is required and must be a timestamp")


def put_trace_segments(ctx: XrayContext, request: dict[str, Any]) -> dict[str, Any]:
    body = request["body"]
    documents = body.get("TraceSegmentDocuments")
    if not isinstance(documents, list):
        raise _invalid("TraceSegmentDocuments is required")
    store = ctx.store
    unprocessed = []
    for text in documents:
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict) or not all(
                isinstance(doc.get(k), str) for k in ("trace_id", "id", "name")
            ):
                raise ValueError("missing trace_id, id or name")
            if not isinstance(doc.get("start_time"), (int, float)):
                raise ValueError("missing start_time")
        except (ValueError, TypeError) as exc:
            ident = doc.get("id") if isinstance(locals().get("doc"), dict) else None
            unprocessed.append(
                {"Id": ident or "", "ErrorCode": "InvalidSegment", "Message": str(exc)}
            )
            continue
        store.put(doc)
    return {"UnprocessedTraceSegments": unprocessed}


def get_trace_summaries(ctx: XrayContext, request: dict[str, Any]) -> dict[str, Any]:
    body = request["body"]
    start = _time(body.get("StartTime"), "StartTime")
    end = _time(body.get("EndTime"), "EndTime")
    if end < start:
        raise _invalid("EndTime must be after StartTime")
    if end - start > MAX_RANGE_S:
        raise _invalid("Time range is more than 24 hours")
    try:
        matches = compile_filter(body.get("FilterExpression"))
    except FilterError as exc:
        raise _invalid(f"Invalid filter expression: {exc}") from exc
    store = ctx.store
    ids = store.trace_ids(start, end)
    offset = _token(body.get("NextToken"))
    docs = store.documents(ids)
    found = []
    for trace_id in ids:
        trace = facts(trace_id, assemble(docs.get(trace_id, [])))
        if matches(trace):
            found.append(summary(trace, ctx.account_id))
    page = found[offset : offset + SUMMARY_PAGE]
    result: dict[str, Any] = {
        "TraceSummaries": page,
        "ApproximateTime": end,
        "TracesProcessedCount": len(ids),
    }
    if offset + SUMMARY_PAGE < len(found):
        result["NextToken"] = str(offset + SUMMARY_PAGE)
    return result


def batch_get_traces(ctx: XrayContext, request: dict[str, Any]) -> dict[str, Any]:
    ids = request["body"].get("TraceIds")
    if not isinstance(ids, list) or not ids:
        raise _invalid("TraceIds is required")
    offset = _token(request["body"].get("NextToken"))
    wanted = [str(i) for i in ids][offset : offset + TRACES_PAGE]
    docs = ctx.store.documents(wanted)
    traces, missing = [], []
    for trace_id in wanted:
        segments = assemble(docs.get(trace_id, []))
        if not segments:
            missing.append(trace_id)
            continue
        found = facts(trace_id, segments)
        traces.append(
            {
                "Id": trace_id,
                "Duration": round(found.duration, 3),
                "LimitExceeded": False,
                "Segments": [
                    {"Id": seg["id"], "Document": json.dumps(seg, separators=(",", ":"))}
                    for seg in segments
                ],
            }
        )
    result: dict[str, Any] = {"Traces": traces, "UnprocessedTraceIds": missing}
    if offset + TRACES_PAGE < len(ids):
        result["NextToken"] = str(offset + TRACES_PAGE)
    return result


def get_service_graph(ctx: XrayContext, request: dict[str, Any]) -> dict[str, Any]:
    body = request["body"]
    start = _time(body.get("StartTime"), "StartTime")
    end = _time(body.get("EndTime"), "EndTime")
    store = ctx.store
    ids = store.trace_ids(start, end)
    docs = store.documents(ids)
    services = service_graph.build((assemble(docs.get(i, [])) for i in ids), ctx.account_id)
    return {
        "StartTime": start,
        "EndTime": end,
        "Services": services,
        "ContainsOldGroupVersions": False,
    }


def get_trace_graph(ctx: XrayContext, request: dict[str, Any]) -> dict[str, Any]:
    ids = request["body"].get("TraceIds")
    if not isinstance(ids, list) or not ids:
        raise _invalid("TraceIds is required")
    docs = ctx.store.documents(str(i) for i in ids)
    services = service_graph.build((assemble(docs.get(str(i), [])) for i in ids), ctx.account_id)
    return {"Services": services}


def _token(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise _invalid("The NextToken is not valid")


OPERATIONS = {
    "PutTraceSegments": put_trace_segments,
    "GetTraceSummaries": get_trace_summaries,
    "BatchGetTraces": batch_get_traces,
    "GetServiceGraph": get_service_graph,
    "GetTraceGraph": get_trace_graph,
}
