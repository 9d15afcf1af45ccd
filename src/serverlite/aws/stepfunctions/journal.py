"""What an execution has done so far: its history events and its frames.

A *frame* is one thread of states: the execution's top level, one Parallel branch or
one Map iteration, named by a path (``""``, ``"/Fan@7.0/1"``). It holds the state the
thread is in, that state's input, the variables in scope, and the state's progress
(when it was entered, retry counts, a task started, when a Wait ends). The engine
commits events and frames together; a Standard execution's journal is the SQLite
store, so a kill -9 leaves the execution where its last transition put it. An
Express execution's journal is this in-memory one (AWS keeps no history for them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Frame:
    path: str
    state: str
    input: Any
    variables: dict[str, Any]
    status: str = "running"  # running | succeeded | failed
    output: Any = None
    error: str = ""
    cause: str = ""
    progress: dict[str, Any] = field(default_factory=dict)
    last_event: int = 0  # the id the next event of this thread names as previous


@dataclass(frozen=True)
class Event:
    id: int
    previous: int
    type: str
    timestamp: float
    details: dict[str, Any] = field(default_factory=dict)  # {"stateEnteredEventDetails": {...}}

    def shape(self) -> dict[str, Any]:
        """The HistoryEvent of GetExecutionHistory."""
        shaped: dict[str, Any] = {
            "timestamp": self.timestamp,
            "type": self.type,
            "id": self.id,
            "previousEventId": self.previous,
        }
        shaped.update(self.details)
        return shaped


class Journal(Protocol):
    def frame(self, path: str) -> Frame | None: ...

    def commit(self, events: Sequence[Event], frames: Sequence[Frame]) -> None: ...

    def last_event_id(self) -> int: ...

    def events(self) -> list[Event]: ...


class MemoryJournal:
    """An Express execution's journal: nothing outlives the process."""

    def __init__(self) -> None:
        self._frames: dict[str, Frame] = {}
        self._events: list[Event] = []

    def frame(self, path: str) -> Frame | None:
        return self._frames.get(path)

    def commit(self, events: Sequence[Event], frames: Sequence[Frame]) -> None:
        self._events.extend(events)
        for frame in frames:
            self._frames[frame.path] = frame

    def last_event_id(self) -> int:
        return self._events[-1].id if self._events else 0

    def events(self) -> list[Event]:
        return list(self._events)
