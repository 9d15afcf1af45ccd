"""AWS's six-field cron: ``minutes hours day-of-month month day-of-week year``.

    minutes       0-59               , - * /
    hours         0-23               , - * /
    day-of-month  1-31               , - * ? / L W      (L, LW, 15W)
    month         1-12 or JAN-DEC    , - * /
    day-of-week   1-7 or SUN-SAT     , - * ? L #        (1 is Sunday; 6L, 3#2)
    year          1970-2199          , - * /

Exactly one of day-of-month and day-of-week is ``?`` (AWS refuses ``*`` in both,
and a value in both). The finest grain is one minute. ``Cron.next_after`` works
on naive wall-clock datetimes; the caller places them in a time zone.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

_MONTH_NAMES = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
YEAR_MIN, YEAR_MAX = 1970, 2199


class CronError(ValueError):
    """A cron expression AWS would refuse (the message says which field and why)."""


@dataclass(frozen=True)
class DaySpec:
    """Day-of-month or day-of-week: a set of values or one special form."""

    values: frozenset[int] = frozenset()
    any: bool = False  # "?"
    last: bool = False  # L (day-of-month: last day; day-of-week: with weekday, last such)
    weekday_near: int | None = None  # 15W: nearest weekday to the 15th
    last_weekday: bool = False  # LW
    weekday: int | None = None  # for 6L and 3#2
    nth: int | None = None  # 3#2: the second Tuesday


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    dom: DaySpec
    months: frozenset[int]
    dow: DaySpec
    years: frozenset[int]

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """The first minute strictly after ``after`` that the expression selects."""
        start = after.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        while day.year <= YEAR_MAX:
            if day.year not in self.years:
                later = [y for y in self.years if y > day.year]
                if not later:
                    return None
                day = dt.date(min(later), 1, 1)
                continue
            if day.month not in self.months:
                day = _first_of_next_month(day)
                continue
            if self._day_matches(day):
                earliest = (start.hour, start.minute) if day == start.date() else (0, 0)
                found = self._time_on(earliest)
                if found is not None:
                    return dt.datetime.combine(day, dt.time(*found))
            day += dt.timedelta(days=1)
        return None

    def _time_on(self, earliest: tuple[int, int]) -> tuple[int, int] | None:
        for hour in sorted(h for h in self.hours if h >= earliest[0]):
            low = earliest[1] if hour == earliest[0] else 0
            minutes = [m for m in self.minutes if m >= low]
            if minutes:
                return hour, min(minutes)
        return None

    def _day_matches(self, day: dt.date) -> bool:
        if self.dow.any:
            return _dom_matches(self.dom, day)
        return _dow_matches(self.dow, day)


def _first_of_next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + 1, 1, 1) if day.month == 12 else dt.date(day.year, day.month + 1, 1)


def aws_weekday(day: dt.date) -> int:
    """1 = Sunday ... 7 = Saturday, as AWS numbers them."""
    return (day.weekday() + 1) % 7 + 1


def _dom_matches(spec: DaySpec, day: dt.date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    if spec.last:
        return day.day == last
    if spec.last_weekday:
        return day == _nearest_weekday(dt.date(day.year, day.month, last))
    if spec.weekday_near is not None:
        if spec.weekday_near > last:
            return False
        return day == _nearest_weekday(dt.date(day.year, day.month, spec.weekday_near))
    return day.day in spec.values


def _nearest_weekday(target: dt.date) -> dt.date:
    """The weekday nearest to ``target`` without leaving its month (15W)."""
    weekday = target.weekday()
    if weekday < 5:
        return target
    last = calendar.monthrange(target.year, target.month)[1]
    if weekday == 5:  # Saturday: Friday, unless that leaves the month (then Monday)
        return target - dt.timedelta(days=1) if target.day > 1 else target + dt.timedelta(days=2)
    # Sunday: Monday, unless that leaves the month (then Friday)
    return target + dt.timedelta(days=1) if target.day < last else target - dt.timedelta(days=2)


def _dow_matches(spec: DaySpec, day: dt.date) -> bool:
    weekday = aws_weekday(day)
    if spec.nth is not None:
        return weekday == spec.weekday and (day.day - 1) // 7 + 1 == spec.nth
    if spec.last:
        wanted = spec.weekday if spec.weekday is not None else 7
        last = calendar.monthrange(day.year, day.month)[1]
        return weekday == wanted and day.day + 7 > last
    return weekday in spec.values


# -- parsing --------------------------------------------------------------------------


def parse_cron(text: str) -> Cron:
    fields = text.split()
    if len(fields) != 6:
        raise CronError("a cron expression has six fields")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise CronError("exactly one of day-of-month and day-of-week must be '?'")
    return Cron(
        minutes=_values(minute, 0, 59, {}),
        hours=_values(hour, 0, 23, {}),
        dom=_dom(dom),
        months=_values(month, 1, 12, MONTHS),
        dow=_dow(dow),
        years=_values(year, YEAR_MIN, YEAR_MAX, {}),
    )


def _values(field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    result: set[int] = set()
    for item in field.split(","):
        result |= _item(item, low, high, names)
    return frozenset(result)


def _item(item: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        step = _number(step_text, 1, high, {})
    if base == "*":
        start, end = low, high
    elif "-" in base:
        first, _, second = base.partition("-")
        start, end = _number(first, low, high, names), _number(second, low, high, names)
    else:
        start = _number(base, low, high, names)
        end = high if slash else start
    if start <= end:
        return set(range(start, end + 1, step))
    # a range that wraps (FRI-MON, NOV-FEB)
    span = list(range(start, high + 1)) + list(range(low, end + 1))
    return set(span[::step])


def _number(text: str, low: int, high: int, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise CronError(f"{text!r} is not a number")
    value = int(text)
    if not low <= value <= high:
        raise CronError(f"{value} is outside {low}-{high}")
    return value


def _dom(field: str) -> DaySpec:
    if field == "?":
        return DaySpec(any=True)
    upper = field.upper()
    if upper == "L":
        return DaySpec(last=True)
    if upper == "LW":
        return DaySpec(last_weekday=True)
    if upper.endswith("W"):
        return DaySpec(weekday_near=_number(field[:-1], 1, 31, {}))
    return DaySpec(values=_values(field, 1, 31, {}))


def _dow(field: str) -> DaySpec:
    if field == "?":
        return DaySpec(any=True)
    upper = field.upper()
    if upper == "L":
        return DaySpec(last=True)
    if "#" in upper:
        day, _, nth = upper.partition("#")
        return DaySpec(weekday=_number(day, 1, 7, DAYS), nth=_number(nth, 1, 5, {}))
    if upper.endswith("L") and upper[:-1] and upper[:-1] not in ("", "*"):
        return DaySpec(last=True, weekday=_number(upper[:-1], 1, 7, DAYS))
    return DaySpec(values=_values(field, 1, 7, DAYS))
