"""The schedule loop: rules with a ScheduleExpression and Scheduler schedules.

A rule's tick is a "Scheduled Event" (source "aws.events", detail-type "Scheduled
Event", resources [the rule's ARN], detail {}) routed to the rule's targets; a
Scheduler schedule's tick sends its target's Input (``{}`` when it has none)
with the context attributes ``<aws.scheduler.schedule-arn>``,
``<aws.scheduler.scheduled-time>``, ``<aws.scheduler.execution-id>`` and
``<aws.scheduler.attempt-number>`` filled in (the attempt number is always 1).
Each tick's deliveries and its "last fired" time are committed together.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from serverlite import ids

from .clock import Clock
from .envelope import build_event
from .metrics import EventsMetrics
from .names import DEFAULT_BUS, Arns
from .router import RuleRouter
from .schedule_book import Firing, ScheduleBook, ScheduleDef
from .schedule_expressions import ScheduleExpressionError, format_time, parse_expression
from .store import EventsDb, NewDelivery
from .targets import snapshot

log = logging.getLogger("serverlite.events")
SCHEDULER_DEFAULT_INPUT = "{}"


def scheduler_arn(arns: Arns, group: str, name: str) -> str:
    return f"arn:aws:scheduler:{arns.region}:{arns.account}:schedule/{group}/{name}"


def _nothing() -> None:
    return None


class Ticker:
    def __init__(
        self,
        db: EventsDb,
        router: RuleRouter,
        arns: Arns,
        clock: Clock,
        on_delivery: Callable[[], None] = _nothing,  # wakes the delivery worker
    ) -> None:
        self.db = db
        self.router = router
        self.arns = arns
        self.clock = clock
        self.book = ScheduleBook()
        self.wakeup = asyncio.Event()
        self._stale = True
        self.on_delivery = on_delivery
        self.metrics = EventsMetrics(None)  # the service's, once it is built

    def changed(self) -> None:
        """Rules or schedules changed: reload the book before the next tick."""
        self._stale = True
        self.wakeup.set()

    def definitions(self) -> list[ScheduleDef]:
        fired = self.db.last_fired()
        defs = []
        for rule in self.db.rules(DEFAULT_BUS):
            if rule.schedule and rule.enabled:
                key = f"rule:{rule.bus}/{rule.name}"
                with contextlib.suppress(ScheduleExpressionError):  # checked at PutRule
                    expression = parse_expression(rule.schedule)
                    defs.append(ScheduleDef(key, expression, rule.created, fired.get(key)))
        for schedule in self.db.schedules():
            spec = schedule.spec
            if spec.get("State", "ENABLED") != "ENABLED":
                continue
            key = f"schedule:{schedule.group}/{schedule.name}"
            try:
                expression = parse_expression(
                    spec["ScheduleExpression"],
                    timezone=spec.get("ScheduleExpressionTimezone"),
                    allow_at=True,
                )
            except ScheduleExpressionError:
                continue
            start, end = spec.get("StartDate"), spec.get("EndDate")
            anchor = float(start) if start is not None else schedule.created
            defs.append(ScheduleDef(key, expression, anchor, fired.get(key), start, end))
        return defs

    def reload(self) -> None:
        self.book.load(self.definitions(), self.clock.virtual())
        self._stale = False

    def fire_due(self) -> list[Firing]:
        """Fire every tick that is due now (the loop's body; tests call it directly)."""
        if self._stale:
            self.reload()
        firings = self.book.due(self.clock.virtual())
        for firing in firings:
            try:
                self._fire(firing)
            except Exception:
                log.exception("schedule %s failed to fire", firing.key)
        return firings

    def _fire(self, firing: Firing) -> None:
        kind, _, rest = firing.key.partition(":")
        bus_or_group, _, name = rest.partition("/")
        if kind == "rule":
            deliveries = self._rule_deliveries(bus_or_group, name, firing.tick)
        else:
            deliveries = self._schedule_deliveries(bus_or_group, name, firing.tick)
        self.db.enqueue(deliveries, self.clock.now(), fired=(firing.key, firing.tick))
        if deliveries:
            self.on_delivery()
        if kind == "schedule" and firing.last:
            self._complete(bus_or_group, name)

    def _rule_deliveries(self, bus: str, name: str, tick: float) -> list[NewDelivery]:
        compiled = self.router.rule(bus, name)
        if compiled is None or not compiled.rule.enabled:
            return []
        self.metrics.triggered(bus, name)
        event = build_event(
            event_id=ids.request_id(),
            source="aws.events",
            detail_type="Scheduled Event",
            detail_json="{}",
            account=self.arns.account,
            region=self.arns.region,
            time=tick,
            resources=[compiled.arn],
        )
        return self.router.deliveries_for(compiled, event, tick)

    def _schedule_deliveries(self, group: str, name: str, tick: float) -> list[NewDelivery]:
        schedule = self.db.schedule(group, name)
        if schedule is None:
            return []
        target: dict[str, Any] = dict(schedule.spec.get("Target") or {})
        arn = scheduler_arn(self.arns, group, name)
        payload = _context(str(target.get("Input") or SCHEDULER_DEFAULT_INPUT), arn, tick)
        event = payload
        if ":events:" in str(target.get("Arn", "")):
            entry = target.get("EventBridgeParameters") or {}
            event = build_event(
                event_id=ids.request_id(),
                source=str(entry.get("Source", "aws.scheduler")),
                detail_type=str(entry.get("DetailType", "Scheduled Event")),
                detail_json=payload,
                account=self.arns.account,
                region=self.arns.region,
                time=tick,
                resources=[arn],
            )
        return [(snapshot({**target, "Id": name}, arn, kind="schedule"), payload, event)]

    def _complete(self, group: str, name: str) -> None:
        schedule = self.db.schedule(group, name)
        if schedule is not None and schedule.spec.get("ActionAfterCompletion") == "DELETE":
            self.db.delete_schedule(group, name)
            self.changed()

    async def run(self) -> None:
        """Fire schedules until cancelled."""
        while True:
            self.wakeup.clear()
            self.fire_due()
            wake_at = self.book.next_wakeup()
            timeout = None
            if wake_at is not None:
                timeout = max(0.001, self.clock.real_delay(wake_at - self.clock.virtual()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout)


def _context(text: str, schedule_arn: str, tick: float) -> str:
    values = {
        "<aws.scheduler.schedule-arn>": schedule_arn,
        "<aws.scheduler.scheduled-time>": format_time(tick),
        "<aws.scheduler.execution-id>": ids.hex_token(16),
        "<aws.scheduler.attempt-number>": "1",
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text
