"""What the interpreter's parts share: the execution, the clock, the services, and
the ``Runner`` face of ``engine.Run`` that Task, Parallel and Map states use."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from .journal import Event, Frame, Journal


def iso(epoch: float) -> str:
    """How Step Functions writes a time in the context object: 2024-01-01T00:00:00.000Z."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class ExecutionInfo:
    arn: str
    name: str
    machine_arn: str
    machine_name: str
    role_arn: str
    input: Any
    start_time: float
    type: str = "STANDARD"
    redrive_count: int = 0
    trace_header: str = ""  # the X-Ray trace it was started in (StartExecution's)


@dataclass
class Outcome:
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    output: Any = None
    error: str = ""
    cause: str = ""


class Clock:
    """Serverlite's clock, with waits scaled and woken when a test moves the clock."""

    def __init__(self, now: Callable[[], float] = time.time, scale: float = 1.0) -> None:
        self.now = now
        self.scale = scale
        self._moved = asyncio.Event()

    def moved(self) -> None:
        self._moved.set()

    def due(self, seconds: float) -> float:
        """The clock time at which ``seconds`` of workflow time have passed."""
        return self.now() + max(0.0, seconds) / self.scale

    async def sleep_until(self, due: float) -> None:
        while True:
            remaining = due - self.now()
            if remaining <= 0:
                return
            self._moved.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._moved.wait(), timeout=remaining)


@dataclass
class Services:
    """What the engine reaches outside itself."""

    connectors: Any  # engine_task.Connectors
    tokens: Any  # tokens.TokenBoard
    clock: Clock
    region: str = "us-east-1"
    account_id: str = "123456789012"
    extra: dict[str, Any] = field(default_factory=dict)
    trace: Any = None  # observed.ExecutionTrace of a traced state machine's execution
    observed: Any = None  # observed.ExecutionObserver: AWS/States task metrics


class Runner(Protocol):
    info: ExecutionInfo
    journal: Journal
    services: Services

    def event(
        self, frame: Frame | None, kind: str, details: dict[str, Any] | None = None
    ) -> Event: ...

    def commit(self, events: list[Event], *frames: Frame) -> None: ...

    async def run_frame(
        self,
        path: str,
        machine: dict[str, Any],
        language: str,
        state_input: Any,
        variables: dict[str, Any],
        previous: int,
    ) -> Any: ...
