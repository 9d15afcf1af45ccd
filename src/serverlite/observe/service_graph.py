"""The service graph of a set of traces, as GetServiceGraph and GetTraceGraph answer it.

Nodes are the segments' services (name and origin) and the resources their AWS calls
reach (a DynamoDB table, a queue: inferred nodes, as X-Ray draws them); an edge runs
from the service that made a call to the one that served it. Each node and edge
carries X-Ray's summary statistics (ok, error, fault counts, total response time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from serverlite.observe.trace_assembly import (
    Document,
    Node,
    inferred_node,
    segment_node,
    walk,
)


@dataclass
class _Stats:
    ok: int = 0
    error: int = 0
    throttle: int = 0
    fault: int = 0
    total_time: float = 0.0
    start: float | None = None
    end: float | None = None

    def add(self, part: Document) -> None:
        start = float(part.get("start_time") or 0.0)
        end = float(part.get("end_time") or start)
        self.start = start if self.start is None else min(self.start, start)
        self.end = end if self.end is None else max(self.end, end)
        self.total_time += end - start
        if part.get("fault"):
            self.fault += 1
        elif part.get("throttle"):
            self.throttle += 1
        elif part.get("error"):
            self.error += 1
        else:
            self.ok += 1

    def summary(self) -> dict[str, Any]:
        return {
            "OkCount": self.ok,
            "ErrorStatistics": {
                "ThrottleCount": self.throttle,
                "OtherCount": self.error,
                "TotalCount": self.error + self.throttle,
            },
            "FaultStatistics": {"OtherCount": self.fault, "TotalCount": self.fault},
            "TotalCount": self.ok + self.error + self.throttle + self.fault,
            "TotalResponseTime": round(self.total_time, 6),
        }


@dataclass
class _Graph:
    nodes: dict[Node, _Stats] = field(default_factory=dict)
    edges: dict[tuple[Node, Node], _Stats] = field(default_factory=dict)
    roots: set[Node] = field(default_factory=set)


def build(traces: Iterable[list[Document]], account_id: str) -> list[dict[str, Any]]:
    graph = _Graph()
    for segments in traces:
        _add_trace(graph, segments)
    refs = {node: i for i, node in enumerate(graph.nodes)}
    services = []
    for node, stats in graph.nodes.items():
        edges: list[dict[str, Any]] = [
            {
                "ReferenceId": refs[child],
                "StartTime": edge.start,
                "EndTime": edge.end,
                "SummaryStatistics": edge.summary(),
                "Aliases": [],
            }
            for (parent, child), edge in graph.edges.items()
            if parent == node
        ]
        service: dict[str, Any] = {
            "ReferenceId": refs[node],
            "Name": node.name,
            "Names": [node.name],
            "Root": node in graph.roots,
            "Type": node.type,
            "State": "active",
            "StartTime": stats.start,
            "EndTime": stats.end,
            "Edges": edges,
            "SummaryStatistics": stats.summary(),
        }
        if not node.type.startswith("AWS::") or node.type.startswith("AWS::Lambda"):
            service["AccountId"] = account_id
        services.append(service)
    return services


def _add_trace(graph: _Graph, segments: list[Document]) -> None:
    owner: dict[str, Node] = {}  # segment or subsegment id -> the node of its segment
    for seg in segments:
        node = segment_node(seg)
        for part in walk(seg):
            owner[part["id"]] = node
    for seg in segments:
        node = segment_node(seg)
        graph.nodes.setdefault(node, _Stats()).add(seg)
        parent = owner.get(seg.get("parent_id") or "")
        if parent is None:
            graph.roots.add(node)
        elif parent != node:
            graph.edges.setdefault((parent, node), _Stats()).add(seg)
        for part in walk(seg):
            if part is seg:
                continue
            inferred = inferred_node(part)
            if inferred is None:
                continue
            graph.nodes.setdefault(inferred, _Stats()).add(part)
            graph.edges.setdefault((node, inferred), _Stats()).add(part)
