"""rate(), AWS's six-field cron() and at(): parsing, refusals, and next-tick arithmetic."""

import datetime as dt

import pytest

from serverlite.aws.events.cron import aws_weekday, parse_cron
from serverlite.aws.events.schedule_expressions import (
    At,
    CronSchedule,
    Rate,
    ScheduleExpressionError,
    format_time,
    parse_expression,
)


def ts(text):
    """'2026-03-02 10:15' (UTC) -> epoch seconds."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def utc(epoch):
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%d %H:%M")


def ticks(expression, start, count, timezone=None):
    parsed = parse_expression(expression, timezone=timezone, allow_at=True)
    found, after = [], ts(start)
    for _ in range(count):
        after = parsed.next_fire(after, 0.0)
        if after is None:
            break
        found.append(utc(after))
    return found


# -- rate ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(12 hours)", 43200),
        ("rate(1 day)", 86400),
        ("rate(7 days)", 604800),
    ],
)
def test_rate_parses(text, seconds):
    assert parse_expression(text) == Rate(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "rate(1 minutes)",  # AWS: singular unit for 1
        "rate(5 minute)",  # plural otherwise
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(1.5 hours)",
        "rate(1 second)",
        "rate(2 weeks)",
        "rate(5  minutes)",
        "rate(5 Minutes)",
        "rate 5 minutes",
        "",
        "every 5 minutes",
    ],
)
def test_rate_refusals(text):
    with pytest.raises(ScheduleExpressionError):
        parse_expression(text)


def test_rate_keeps_its_phase_from_the_anchor():
    rate = Rate(300)
    anchor = ts("2026-03-02 10:00:17")
    assert rate.next_fire(anchor, anchor) == anchor + 300
    assert rate.next_fire(anchor + 299, anchor) == anchor + 300
    assert rate.next_fire(anchor + 300, anchor) == anchor + 600
    assert rate.next_fire(anchor + 3601, anchor) == anchor + 3900
    assert rate.next_fire(anchor - 50, anchor) == anchor  # a future anchor: a StartDate


# -- cron -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "start", "expected"),
    [
        # AWS's documented examples
        ("cron(0 10 * * ? *)", "2026-03-02 09:00", ["2026-03-02 10:00", "2026-03-03 10:00"]),
        ("cron(15 12 * * ? *)", "2026-03-02 12:15", ["2026-03-03 12:15"]),
        ("cron(0 18 ? * MON-FRI *)", "2026-03-06 19:00", ["2026-03-09 18:00", "2026-03-10 18:00"]),
        ("cron(0 8 1 * ? *)", "2026-03-02 00:00", ["2026-04-01 08:00", "2026-05-01 08:00"]),
        (
            "cron(0/15 * * * ? *)",
            "2026-03-02 10:01",
            ["2026-03-02 10:15", "2026-03-02 10:30", "2026-03-02 10:45", "2026-03-02 11:00"],
        ),
        (
            "cron(0/10 * ? * MON-FRI *)",
            "2026-03-06 23:55",  # a Friday
            ["2026-03-09 00:00", "2026-03-09 00:10"],
        ),
        ("cron(0/5 8-17 ? * MON-FRI *)", "2026-03-02 17:56", ["2026-03-03 08:00"]),
        ("cron(0 9 ? * 2#1 *)", "2026-03-02 10:00", ["2026-04-06 09:00", "2026-05-04 09:00"]),
        # steps, lists, ranges, names
        ("cron(*/20 * * * ? *)", "2026-03-02 10:00", ["2026-03-02 10:20", "2026-03-02 10:40"]),
        ("cron(5,35 1 * * ? *)", "2026-03-02 01:06", ["2026-03-02 01:35", "2026-03-03 01:05"]),
        ("cron(0 0 1 JAN,JUL ? *)", "2026-03-02 00:00", ["2026-07-01 00:00", "2027-01-01 00:00"]),
        ("cron(0 0 ? * SAT,SUN *)", "2026-03-02 00:00", ["2026-03-07 00:00", "2026-03-08 00:00"]),
        ("cron(0 0 ? * 1 *)", "2026-03-02 00:00", ["2026-03-08 00:00"]),  # 1 is Sunday
        ("cron(0 0 ? * 7 *)", "2026-03-02 00:00", ["2026-03-07 00:00"]),  # 7 is Saturday
        ("cron(0 0 ? * FRI-MON *)", "2026-03-03 00:00", ["2026-03-06 00:00", "2026-03-07 00:00"]),
        ("cron(30 23 31 * ? *)", "2026-04-01 00:00", ["2026-05-31 23:30", "2026-07-31 23:30"]),
        # L, W, #
        ("cron(0 12 L * ? *)", "2026-02-01 00:00", ["2026-02-28 12:00", "2026-03-31 12:00"]),
        ("cron(0 12 L * ? *)", "2028-02-01 00:00", ["2028-02-29 12:00"]),  # leap year
        ("cron(0 9 LW * ? *)", "2026-05-01 00:00", ["2026-05-29 09:00"]),  # 31st is a Sunday
        ("cron(0 9 15W * ? *)", "2026-03-01 00:00", ["2026-03-16 09:00"]),  # 15th is a Sunday
        ("cron(0 9 14W * ? *)", "2026-03-01 00:00", ["2026-03-13 09:00"]),  # 14th is a Saturday
        ("cron(0 9 1W * ? *)", "2026-08-01 00:00", ["2026-08-03 09:00"]),  # Sat 1st: Monday 3rd
        ("cron(0 9 31W * ? *)", "2026-05-01 00:00", ["2026-05-29 09:00"]),  # Sun 31st: Fri 29th
        ("cron(0 9 ? * 6L *)", "2026-03-01 00:00", ["2026-03-27 09:00", "2026-04-24 09:00"]),
        ("cron(0 9 ? * FRIL *)", "2026-03-01 00:00", ["2026-03-27 09:00"]),
        ("cron(0 9 ? * L *)", "2026-03-01 00:00", ["2026-03-28 09:00"]),  # last Saturday
        ("cron(0 9 ? * 3#2 *)", "2026-03-01 00:00", ["2026-03-10 09:00", "2026-04-14 09:00"]),
        ("cron(0 9 ? * MON#5 *)", "2026-03-01 00:00", ["2026-03-30 09:00", "2026-06-29 09:00"]),
        # years
        ("cron(0 0 1 1 ? 2030)", "2026-03-01 00:00", ["2030-01-01 00:00"]),
        ("cron(0 0 1 1 ? 2027-2028)", "2026-03-01 00:00", ["2027-01-01 00:00", "2028-01-01 00:00"]),
        ("cron(0 0 1 1 ? 2020)", "2026-03-01 00:00", []),  # never again
        ("cron(0 0 29 2 ? 2100)", "2026-03-01 00:00", []),  # 2100 is not a leap year
    ],
)
def test_cron_next_ticks(expression, start, expected):
    assert ticks(expression, start, len(expected) or 1) == expected


@pytest.mark.parametrize(
    "text",
    [
        "cron(0 10 * * * *)",  # AWS: * in both day fields
        "cron(0 10 1 * MON *)",  # a value in both day fields
        "cron(0 10 ? * ? *)",  # ? in both
        "cron(0 10 * * ?)",  # five fields
        "cron(0 0 10 * * ? *)",  # seven fields (no seconds)
        "cron(60 10 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 10 32 * ? *)",
        "cron(0 10 0 * ? *)",
        "cron(0 10 * 13 ? *)",
        "cron(0 10 ? * 8 *)",
        "cron(0 10 ? * 0 *)",
        "cron(0 10 * * ? 1969)",
        "cron(0 10 * * ? 2200)",
        "cron(0 10 * FOO ? *)",
        "cron(0 10 ? * FUNDAY *)",
        "cron(? 10 * * ? *)",  # ? only in the day fields
        "cron(L 10 * * ? *)",
        "cron(0 10 ? * 3#6 *)",
        "cron(0/0 10 * * ? *)",
        "cron(0 10 1,,2 * ? *)",
        "cron()",
    ],
)
def test_cron_refusals(text):
    with pytest.raises(ScheduleExpressionError):
        parse_expression(text)


def test_cron_in_a_time_zone_and_across_daylight_saving():
    # 09:00 in New York is 14:00 UTC in winter and 13:00 UTC in summer
    found = ticks("cron(0 9 * * ? *)", "2026-03-06 00:00", 4, timezone="America/New_York")
    assert found == ["2026-03-06 14:00", "2026-03-07 14:00", "2026-03-08 13:00", "2026-03-09 13:00"]


def test_unknown_time_zone_is_refused():
    with pytest.raises(ScheduleExpressionError):
        parse_expression("cron(0 9 * * ? *)", timezone="Mars/Olympus")


def test_weekday_numbering_is_aws_not_python():
    assert aws_weekday(dt.date(2026, 3, 1)) == 1  # Sunday
    assert aws_weekday(dt.date(2026, 3, 7)) == 7  # Saturday
    assert parse_cron("0 0 ? * SUN *").dow.values == frozenset({1})


# -- at ---------------------------------------------------------------------------------


def test_at_is_for_the_scheduler_only():
    with pytest.raises(ScheduleExpressionError):
        parse_expression("at(2026-03-02T10:00:00)")
    at = parse_expression("at(2026-03-02T10:00:00)", allow_at=True)
    assert isinstance(at, At)
    assert at.next_fire(ts("2026-03-02 09:00")) == ts("2026-03-02 10:00")
    assert at.next_fire(ts("2026-03-02 10:00")) is None


def test_at_in_a_time_zone():
    at = parse_expression("at(2026-07-01T09:00:00)", timezone="Europe/Paris", allow_at=True)
    assert utc(at.next_fire(0.0)) == "2026-07-01 07:00"


@pytest.mark.parametrize("text", ["at(2026-13-01T00:00:00)", "at(2026-03-02 10:00:00)"])
def test_at_refusals(text):
    with pytest.raises(ScheduleExpressionError):
        parse_expression(text, allow_at=True)


def test_event_time_format():
    assert format_time(ts("2019-10-08 16:53:06.789")) == "2019-10-08T16:53:06Z"
    assert isinstance(parse_expression("cron(0 10 * * ? *)"), CronSchedule)
