"""Schedule expressions: ``rate(...)``, ``cron(...)`` and (Scheduler only) ``at(...)``.

Each parsed expression answers ``next_fire(after, anchor)``: the first firing time
strictly after ``after`` (epoch seconds), or None when it never fires again. A rate
fires at ``anchor + k * period`` (the anchor is when the rule or schedule was
created, or the schedule's StartDate), so a restart keeps the phase; cron and at
are wall-clock times in UTC or in the schedule's time zone.

AWS's rate rules: the value is a positive integer, and the unit is singular when the
value is 1 (``rate(1 minute)``) and plural otherwise (``rate(5 minutes)``).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zoneinfo
from dataclasses import dataclass

from .cron import Cron, CronError, parse_cron

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.*)\)")
_AT = re.compile(r"at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class ScheduleExpressionError(ValueError):
    """An expression AWS refuses; the message says why."""


@dataclass(frozen=True)
class Rate:
    seconds: int

    def next_fire(self, after: float, anchor: float) -> float:
        if after < anchor:  # a future anchor (a StartDate) is the first tick
            return anchor
        periods = math.floor((after - anchor) / self.seconds) + 1
        return anchor + periods * self.seconds


@dataclass(frozen=True)
class CronSchedule:
    cron: Cron
    zone: dt.tzinfo = dt.UTC

    def next_fire(self, after: float, anchor: float = 0.0) -> float | None:
        local = dt.datetime.fromtimestamp(after, self.zone).replace(tzinfo=None)
        while True:
            found = self.cron.next_after(local)
            if found is None:
                return None
            when = found.replace(tzinfo=self.zone).timestamp()
            if when > after:  # a wall time repeated by a DST change can map backwards
                return when
            local = found


@dataclass(frozen=True)
class At:
    when: dt.datetime  # naive wall-clock time in ``zone``
    zone: dt.tzinfo = dt.UTC

    @property
    def timestamp(self) -> float:
        return self.when.replace(tzinfo=self.zone).timestamp()

    def next_fire(self, after: float, anchor: float = 0.0) -> float | None:
        return self.timestamp if self.timestamp > after else None


Expression = Rate | CronSchedule | At


def parse_expression(
    text: str, *, timezone: str | None = None, allow_at: bool = False
) -> Expression:
    """Parse a rule's (rate/cron) or a Scheduler schedule's (rate/cron/at) expression."""
    zone = _zone(timezone)
    rate = _RATE.fullmatch(text)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            raise ScheduleExpressionError("the rate value must be a positive integer")
        if (value == 1) == unit.endswith("s"):
            raise ScheduleExpressionError(
                "use a singular unit for a value of 1 and a plural unit otherwise"
            )
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    cron = _CRON.fullmatch(text)
    if cron:
        try:
            return CronSchedule(parse_cron(cron.group(1)), zone)
        except CronError as exc:
            raise ScheduleExpressionError(str(exc)) from exc
    at = _AT.fullmatch(text)
    if at and allow_at:
        year, month, day, hour, minute, second = (int(part) for part in at.groups())
        try:
            when = dt.datetime(year, month, day, hour, minute, second)
        except ValueError as exc:
            raise ScheduleExpressionError(str(exc)) from exc
        return At(when, zone)
    kinds = "rate(), cron() or at()" if allow_at else "rate() or cron()"
    raise ScheduleExpressionError(f"the expression must be {kinds}")


def _zone(name: str | None) -> dt.tzinfo:
    if not name or name == "UTC":
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleExpressionError(f"unknown time zone {name!r}") from exc


def format_time(epoch: float) -> str:
    """AWS event time: ``2019-10-08T16:53:06Z`` (UTC, whole seconds)."""
    return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
