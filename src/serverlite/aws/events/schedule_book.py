"""Which schedules fire when: the pure bookkeeping behind the schedule loop.

The book holds every enabled schedule (rules with a ScheduleExpression, Scheduler
schedules) and the next time each fires. Time is passed in, never read, so tests
drive it with a fake clock.

Ticks missed while serverlite was down are not replayed: a schedule first seen
(at start, or when created) fires at its next tick after *now*. A one-time ``at()``
schedule that never fired is the exception: it fires once, late. While running, a
tick that comes late (a busy loop) still fires; one missed by more than
``GRACE_S`` is skipped, so a suspended machine does not wake to a burst.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .schedule_expressions import At, Expression

GRACE_S = 60.0


@dataclass(frozen=True)
class ScheduleDef:
    key: str  # "rule:<bus>/<name>" or "schedule:<group>/<name>"
    expression: Expression
    anchor: float  # a rate's phase: it fires at anchor + k * period
    last_fired: float | None = None
    start: float | None = None  # Scheduler StartDate: no tick before it
    end: float | None = None  # Scheduler EndDate: no tick after it

    def next_after(self, after: float) -> float | None:
        if self.start is not None and after < self.start:
            after = self.start - 1e-6
        tick = self.expression.next_fire(after, self.anchor)
        if tick is None or (self.end is not None and tick > self.end):
            return None
        return tick


@dataclass(frozen=True)
class Firing:
    key: str
    tick: float  # the scheduled time (the event's "time"), not when it ran
    last: bool  # the schedule will not fire again


class ScheduleBook:
    def __init__(self) -> None:
        self._defs: dict[str, ScheduleDef] = {}
        self._next: dict[str, float] = {}

    def load(self, defs: Iterable[ScheduleDef], now: float) -> None:
        """Replace the schedules; unchanged ones keep their next tick."""
        incoming = {d.key: d for d in defs}
        for key in list(self._defs):
            if key not in incoming:
                del self._defs[key]
                self._next.pop(key, None)
        for key, new in incoming.items():
            old = self._defs.get(key)
            self._defs[key] = new
            if old is not None and _same_timing(old, new) and key in self._next:
                continue
            first = self._first_tick(new, now)
            if first is None:
                self._next.pop(key, None)
            else:
                self._next[key] = first

    @staticmethod
    def _first_tick(schedule: ScheduleDef, now: float) -> float | None:
        if isinstance(schedule.expression, At):
            if schedule.last_fired is not None:
                return None
            return schedule.expression.timestamp  # fires once, even late
        return schedule.next_after(now)

    def due(self, now: float) -> list[Firing]:
        """Pop every tick at or before ``now`` and schedule the one after each."""
        firings = []
        for key, tick in sorted(self._next.items(), key=lambda item: item[1]):
            if tick > now:
                continue
            schedule = self._defs[key]
            following = None if isinstance(schedule.expression, At) else schedule.next_after(tick)
            if following is not None and following < now - GRACE_S:
                following = schedule.next_after(now)
            if following is None:
                del self._next[key]
            else:
                self._next[key] = following
            firings.append(Firing(key, tick, last=following is None))
        return firings

    def next_wakeup(self) -> float | None:
        return min(self._next.values(), default=None)

    def next_tick(self, key: str) -> float | None:
        return self._next.get(key)


def _same_timing(old: ScheduleDef, new: ScheduleDef) -> bool:
    return (old.expression, old.anchor, old.start, old.end) == (
        new.expression,
        new.anchor,
        new.start,
        new.end,
    )
