"""What ``serverlite executions`` does: list Step Functions executions of a running
``serverlite up``, or show one execution's history as a timeline, over the AWS endpoint
with boto3 as any client would."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from serverlite.commands import client as cli_client
from serverlite.errors import ConfigError

_DETAILS_SUFFIX = "EventDetails"


@dataclass(frozen=True)
class ExecutionRow:
    machine: str
    name: str
    status: str
    started: datetime
    stopped: datetime | None
    arn: str


def client(endpoint_url: str, region: str) -> Any:
    return cli_client.client("stepfunctions", endpoint_url, region)


def rows(sfn: Any, machine: str | None = None) -> list[ExecutionRow]:
    """Every execution of every Standard state machine (or of ``machine``), newest first."""
    found: list[ExecutionRow] = []
    for listed in _machines(sfn):
        if machine is not None and machine not in (listed["name"], listed["stateMachineArn"]):
            continue
        if listed["type"] != "STANDARD":
            continue  # AWS lists no Express executions
        pages = sfn.get_paginator("list_executions").paginate(
            stateMachineArn=listed["stateMachineArn"]
        )
        for page in pages:
            for item in page["executions"]:
                found.append(
                    ExecutionRow(
                        listed["name"],
                        item["name"],
                        item["status"],
                        item["startDate"],
                        item.get("stopDate"),
                        item["executionArn"],
                    )
                )
    found.sort(key=lambda row: row.started, reverse=True)
    return found


def _machines(sfn: Any) -> list[dict[str, Any]]:
    machines: list[dict[str, Any]] = []
    for page in sfn.get_paginator("list_state_machines").paginate():
        machines.extend(page["stateMachines"])
    return machines


def find(sfn: Any, wanted: str) -> str:
    """An execution ARN, or a name unique among the executions, -> its ARN."""
    if wanted.startswith("arn:"):
        return wanted
    matching = [row.arn for row in rows(sfn) if row.name == wanted]
    if not matching:
        raise ConfigError(f"no execution is named {wanted!r} (serverlite executions lists them)")
    if len(matching) > 1:
        raise ConfigError(
            f"{len(matching)} executions are named {wanted!r}: give the ARN of one:\n  "
            + "\n  ".join(matching)
        )
    return matching[0]


def timeline(sfn: Any, arn: str) -> list[str]:
    """One line per history event: time since the start, id, type, the state or the
    error, and the input or output (shortened)."""
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        events.extend(page["events"])
    if not events:
        return []
    start: datetime = events[0]["timestamp"]
    lines = []
    depth = 0
    for event in events:
        kind = event["type"]
        if kind.endswith(("StateExited", "IterationSucceeded", "IterationFailed")):
            depth = max(0, depth - 1)
        offset = (event["timestamp"] - start).total_seconds()
        lines.append(f"{offset:9.3f}s  #{event['id']:<4} {'  ' * depth}{kind}{_summary(event)}")
        if kind.endswith(("StateEntered", "IterationStarted")):
            depth += 1
    return lines


def _summary(event: dict[str, Any]) -> str:
    details = next((value for key, value in event.items() if key.endswith(_DETAILS_SUFFIX)), None)
    if not isinstance(details, dict):
        return ""
    parts = []
    for key in ("name", "resourceType", "resource", "error", "cause"):
        if details.get(key):
            parts.append(str(details[key]) if key == "name" else f"{key}={details[key]}")
    if "index" in details:
        parts.append(f"[{details['index']}]")
    for key in ("input", "output", "parameters"):
        if key in details:
            parts.append(f"{key} {_short(details[key])}")
    return "  " + "  ".join(parts) if parts else ""


def _short(text: Any, limit: int = 80) -> str:
    value = text if isinstance(text, str) else json.dumps(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


def when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
