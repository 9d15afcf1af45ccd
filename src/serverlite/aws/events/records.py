"""What the EventBridge store keeps: buses, rules, targets, archives, replays,
Scheduler schedules and pending deliveries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Bus:
    name: str
    description: str
    created: float
    modified: float


@dataclass(frozen=True)
class Rule:
    bus: str
    name: str
    pattern: str | None
    schedule: str | None
    state: str  # ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
    description: str
    role_arn: str | None
    created: float  # also a rate schedule's phase
    managed: str | None = None  # the template's fingerprint when the template made it

    @property
    def enabled(self) -> bool:
        return self.state != "DISABLED"


@dataclass(frozen=True)
class Target:
    bus: str
    rule: str
    id: str
    spec: dict[str, Any]  # the Target as PutTargets took it


@dataclass(frozen=True)
class Archive:
    name: str
    bus: str
    description: str
    pattern: str | None
    retention_days: int
    created: float
    state: str
    event_count: int = 0
    size_bytes: int = 0


@dataclass(frozen=True)
class Replay:
    name: str
    archive: str
    description: str
    start: float
    end: float
    destination: dict[str, Any]
    state: str
    reason: str
    started: float
    finished: float | None
    last_replayed: float | None
    cursor: int  # the last archived event (seq) replayed


@dataclass(frozen=True)
class Schedule:
    """An EventBridge Scheduler schedule, as CreateSchedule took it."""

    group: str
    name: str
    spec: dict[str, Any]
    created: float
    modified: float
    managed: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One event on its way to one target (retried until delivered or given up)."""

    id: int
    target: dict[str, Any]  # a snapshot: arn, retry policy, DLQ, where it came from
    payload: str  # what the target receives
    event: str  # the event itself (what a DLQ receives)
    enqueued_at: float
    attempts: int
