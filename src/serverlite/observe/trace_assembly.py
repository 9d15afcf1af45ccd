"""A trace as X-Ray returns it: subsegments sent on their own put back into their
parents, and what GetTraceSummaries says about it.

The X-Ray SDK in Lambda sends each subsegment as its own document whose ``parent_id``
is the function segment (the SDK's facade segment has the id Lambda gave it); the
endpoint does the same for AWS calls. X-Ray merges them into the segment's document,
and so does ``assemble``. A document sent twice (in progress, then complete) counts
once: the last one sent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

Document = dict[str, Any]
# AWS calls become nodes of their own in the service graph, named by their resource.
_INFERRED = {
    "dynamodb": ("AWS::DynamoDB::Table", "table_name"),
    "sqs": ("AWS::SQS::Queue", "queue_url"),
    "sns": ("AWS::SNS::Topic", "topic_arn"),
    "lambda": ("AWS::Lambda", "function_name"),
    "secretsmanager": ("AWS::SecretsManager", ""),
    "ssm": ("AWS::SSM", ""),
    "events": ("AWS::Events", ""),
    "s3": ("AWS::S3::Bucket", "bucket_name"),
}


def assemble(docs: Iterable[Document]) -> list[Document]:
    """The trace's segments, each with its subsegments nested (orphans stay apart)."""
    latest: dict[str, Document] = {}
    for doc in docs:
        latest[doc["id"]] = doc
    segments: list[Document] = []
    pending: list[Document] = []
    index: dict[str, Document] = {}
    for sent in latest.values():
        doc = copy.deepcopy(sent)
        if doc.get("type") == "subsegment":
            pending.append(doc)
        else:
            segments.append(doc)
            _index(doc, index)
    progress = True
    while pending and progress:
        progress = False
        waiting = []
        for sub in pending:
            parent = index.get(sub.get("parent_id", ""))
            if parent is None:
                waiting.append(sub)
                continue
            for key in ("type", "trace_id", "parent_id"):
                sub.pop(key, None)
            parent.setdefault("subsegments", []).append(sub)
            _index(sub, index)
            progress = True
        pending = waiting
    segments.extend(pending)  # parents never sent: kept, not dropped
    segments.sort(key=lambda s: float(s.get("start_time") or 0.0))
    return segments


def _index(node: Document, index: dict[str, Document]) -> None:
    index[node["id"]] = node
    for sub in node.get("subsegments") or ():
        _index(sub, index)


def walk(node: Document) -> Iterator[Document]:
    yield node
    for sub in node.get("subsegments") or ():
        yield from walk(sub)


def segment_tree(segments: list[Document]) -> tuple[list[Document], dict[str, list[Document]]]:
    """How a trace's segments hang together, for drawing it as a tree: (the roots, and for
    each segment or subsegment id the segments whose parent it is). A segment whose parent
    is not in the trace is a root."""
    known = {part["id"] for seg in segments for part in walk(seg)}
    children: dict[str, list[Document]] = {}
    roots = []
    for seg in segments:
        parent = seg.get("parent_id")
        if isinstance(parent, str) and parent in known:
            children.setdefault(parent, []).append(seg)
        else:
            roots.append(seg)
    return roots, children


@dataclass(frozen=True)
class Node:
    name: str
    type: str

    def as_service_id(self, account_id: str) -> dict[str, Any]:
        return {"Name": self.name, "Names": [self.name], "AccountId": account_id, "Type": self.type}


def segment_node(segment: Document) -> Node:
    return Node(str(segment.get("name", "")), str(segment.get("origin") or "client"))


def inferred_node(sub: Document) -> Node | None:
    """The node an ``aws`` (or ``remote``) subsegment stands for, if any."""
    namespace = sub.get("namespace")
    if namespace == "aws":
        service = str(sub.get("name", ""))
        kind, key = _INFERRED.get(service.lower(), (f"AWS::{service}", ""))
        aws = sub.get("aws") or {}
        resource = aws.get(key) if key else None
        if isinstance(resource, str) and resource:
            name = resource.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        else:
            name = service
        return Node(name, kind)
    if namespace == "remote":
        return Node(str(sub.get("name", "")), "remote")
    return None


@dataclass
class Facts:
    """What filter expressions and summaries read about one trace."""

    trace_id: str
    segments: list[Document]
    start: float = 0.0
    end: float = 0.0
    response_time: float = 0.0
    error: bool = False
    fault: bool = False
    throttle: bool = False
    partial: bool = False
    http: dict[str, Any] = field(default_factory=dict)
    user: str | None = None
    annotations: dict[str, list[Any]] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    resource_arns: list[str] = field(default_factory=list)
    entry: Node | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


def facts(trace_id: str, segments: list[Document]) -> Facts:
    found = Facts(trace_id, segments)
    ids = {seg["id"] for seg in segments}
    starts, ends = [], []
    for seg in segments:
        node = segment_node(seg)
        if node not in found.nodes:
            found.nodes.append(node)
        arn = seg.get("resource_arn")
        if isinstance(arn, str) and arn not in found.resource_arns:
            found.resource_arns.append(arn)
        if seg.get("in_progress"):
            found.partial = True
        for part in walk(seg):
            starts.append(float(part.get("start_time") or 0.0))
            if part.get("end_time") is not None:
                ends.append(float(part["end_time"]))
            found.error |= bool(part.get("error"))
            found.fault |= bool(part.get("fault"))
            found.throttle |= bool(part.get("throttle"))
            for key, value in (part.get("annotations") or {}).items():
                found.annotations.setdefault(key, []).append(value)
            if part is not seg:
                inferred = inferred_node(part)
                if inferred is not None and inferred not in found.nodes:
                    found.nodes.append(inferred)
        if isinstance(seg.get("user"), str):
            found.user = seg["user"]
    roots = [s for s in segments if s.get("type") != "subsegment" and s.get("parent_id") not in ids]
    entry = roots[0] if roots else (segments[0] if segments else None)
    if starts:
        found.start = min(starts)
        found.end = max(ends or starts)
    if entry is not None:
        found.entry = segment_node(entry)
        end = entry.get("end_time")
        found.response_time = float(end) - float(entry["start_time"]) if end is not None else 0.0
        http = entry.get("http") or {}
        request, response = http.get("request") or {}, http.get("response") or {}
        found.http = {
            key: value
            for key, value in (
                ("HttpURL", request.get("url")),
                ("HttpStatus", response.get("status")),
                ("HttpMethod", request.get("method")),
                ("UserAgent", request.get("user_agent")),
                ("ClientIp", request.get("client_ip")),
            )
            if value is not None
        }
    return found


def summary(found: Facts, account_id: str) -> dict[str, Any]:
    """A TraceSummary as GetTraceSummaries answers it."""
    annotations = {
        key: [{"AnnotationValue": _annotation_value(v)} for v in values]
        for key, values in found.annotations.items()
    }
    result: dict[str, Any] = {
        "Id": found.trace_id,
        "StartTime": found.start,
        "Duration": round(found.duration, 3),
        "ResponseTime": round(found.response_time, 3),
        "HasFault": found.fault,
        "HasError": found.error,
        "HasThrottle": found.throttle,
        "IsPartial": found.partial,
        "Http": found.http,
        "Annotations": annotations,
        "Users": [{"UserName": found.user}] if found.user else [],
        "ServiceIds": [node.as_service_id(account_id) for node in found.nodes],
        "ResourceARNs": [{"ARN": arn} for arn in found.resource_arns],
        "Revision": 1,
    }
    if found.entry is not None:
        result["EntryPoint"] = found.entry.as_service_id(account_id)
    return result


def _annotation_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, (int, float)):
        return {"NumberValue": value}
    return {"StringValue": str(value)}
