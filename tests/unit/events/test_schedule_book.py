"""When schedules fire, on a fake clock: phases, no burst after downtime, one-time at()."""

from serverlite.aws.events.schedule_book import GRACE_S, ScheduleBook, ScheduleDef
from serverlite.aws.events.schedule_expressions import parse_expression

T0 = 1_800_000_000.0  # a whole minute (2027-01-15T08:00:00Z)


def rate(key, text, anchor=T0, last=None):
    return ScheduleDef(key, parse_expression(text), anchor, last)


def test_rate_fires_every_period_from_its_anchor():
    book = ScheduleBook()
    book.load([rate("r", "rate(1 minute)", anchor=T0 + 7)], now=T0 + 10)
    assert book.next_wakeup() == T0 + 67
    assert book.due(T0 + 66) == []
    fired = book.due(T0 + 67.2)
    assert [(f.key, f.tick) for f in fired] == [("r", T0 + 67)]
    assert book.next_wakeup() == T0 + 127


def test_missed_ticks_are_not_replayed_after_a_restart():
    # fired last at T0+60; serverlite was down for an hour; a new book is loaded at start
    book = ScheduleBook()
    book.load([rate("r", "rate(1 minute)", last=T0 + 60)], now=T0 + 3600 + 30)
    assert book.due(T0 + 3600 + 30) == []  # nothing fires for the missed hour
    assert book.next_wakeup() == T0 + 3660  # the next future tick, on the same phase
    assert len(book.due(T0 + 3660)) == 1


def test_a_late_loop_still_fires_the_tick_it_missed_by_little():
    book = ScheduleBook()
    book.load([rate("r", "rate(1 minute)")], now=T0)
    fired = book.due(T0 + 60 + 5)  # the loop woke 5 s late
    assert [f.tick for f in fired] == [T0 + 60]
    assert book.next_wakeup() == T0 + 120


def test_a_loop_suspended_for_long_skips_to_the_future_once():
    book = ScheduleBook()
    book.load([rate("r", "rate(1 minute)")], now=T0)
    now = T0 + 60 + 10 * GRACE_S
    fired = book.due(now)
    assert len(fired) == 1  # one late tick, not ten
    assert book.next_wakeup() > now


def test_cron_fires_at_wall_clock_minutes():
    book = ScheduleBook()
    book.load([ScheduleDef("c", parse_expression("cron(*/15 * * * ? *)"), 0.0)], now=T0 + 1)
    assert book.next_wakeup() == T0 + 900


def test_at_fires_once_even_when_late_and_never_again():
    at = parse_expression("at(2027-01-15T08:05:00)", allow_at=True)
    book = ScheduleBook()
    book.load([ScheduleDef("a", at, T0)], now=T0 + 3600)  # its time passed while down
    fired = book.due(T0 + 3600)
    assert [(f.tick, f.last) for f in fired] == [(T0 + 300, True)]
    assert book.next_wakeup() is None
    book.load([ScheduleDef("a", at, T0, last_fired=T0 + 300)], now=T0 + 7200)
    assert book.due(T0 + 7200) == []


def test_start_and_end_dates_bound_the_ticks():
    expression = parse_expression("rate(1 hour)")
    start, end = T0 + 7200, T0 + 3 * 3600
    book = ScheduleBook()
    book.load([ScheduleDef("s", expression, start, start=start, end=end)], now=T0)
    assert book.next_wakeup() == start
    assert [f.last for f in book.due(start)] == [False]
    assert [f.last for f in book.due(end)] == [True]
    assert book.next_wakeup() is None


def test_reloading_keeps_unchanged_schedules_and_drops_removed_ones():
    book = ScheduleBook()
    book.load([rate("a", "rate(1 minute)"), rate("b", "rate(5 minutes)")], now=T0)
    book.due(T0 + 60)
    book.load([rate("a", "rate(1 minute)")], now=T0 + 61)
    assert book.next_tick("a") == T0 + 120
    assert book.next_tick("b") is None
    book.load([rate("a", "rate(2 minutes)")], now=T0 + 61)  # changed: recomputed
    assert book.next_tick("a") == T0 + 120
    book.load([rate("a", "rate(2 minutes)")], now=T0 + 62)
    assert book.next_tick("a") == T0 + 120
