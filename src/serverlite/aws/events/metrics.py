"""EventBridge's ``AWS/Events`` metrics (EventBridge User Guide, "Monitoring Amazon
EventBridge"): what rules matched and what their targets' invocations came to.

A rule of the default bus is dimensioned by ``RuleName``; a rule of a custom bus by
``EventBusName`` and ``RuleName``, as AWS tells the two apart.

- TriggeredRules, MatchedEvents (per rule and for the account) when an event matches.
- InvocationAttempts, SuccessfulInvocationAttempts, RetryInvocationAttempts (per rule,
  per bus and for the account) for every attempt to reach a target.
- Invocations (per rule and for the account) once an invocation is done, delivered or
  failed for good; FailedInvocations (per rule) for the latter; InvocationsSentToDlq
  and InvocationsFailedToBeSentToDlq (per rule) for what a dead-letter queue got.

Not an AWS metric: each custom event put on a bus, in 64 KB chunks, for ``serverlite
cost`` (observe/billing.py).

Scheduler's schedules are not rules: their deliveries publish nothing here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from serverlite.observe import billing

from .names import DEFAULT_BUS

EVENTS = "AWS/Events"
Dimensions = tuple[tuple[str, str], ...]


def rule_of(arn: str) -> tuple[str, str] | None:
    """(bus, rule name) of a rule ARN: ``rule/name`` (default bus) or ``rule/bus/name``."""
    _, found, path = arn.partition(":rule/")
    if not found:
        return None
    bus, _, name = path.rpartition("/")
    return (bus or DEFAULT_BUS, name)


def _rule(bus: str, name: str) -> Dimensions:
    if bus == DEFAULT_BUS:
        return (("RuleName", name),)
    return (("EventBusName", bus), ("RuleName", name))


class EventsMetrics:
    def __init__(self, publisher: Any) -> None:
        self.publisher = publisher if getattr(publisher, "enabled", False) else None

    def _count(self, metric: str, sets: tuple[Dimensions, ...], value: float = 1.0) -> None:
        if self.publisher is not None:
            self.publisher.record(EVENTS, metric, sets, value, "Count")

    def published(self, bus: str, size: int) -> None:
        """A custom event of ``size`` bytes (as PutEvents measures it) put on ``bus``."""
        units = billing.chunks(size, billing.EVENT_CHUNK)
        billing.count(self.publisher, "eventbridge_events", bus, units)

    def matched(self, bus: str, rules: Iterable[str]) -> None:
        """An event matched ``rules`` of ``bus``."""
        names = list(rules)
        if not names or self.publisher is None:
            return
        self._count("MatchedEvents", ((),))
        for name in names:
            self._count("TriggeredRules", ((), _rule(bus, name)))
            self._count("MatchedEvents", (_rule(bus, name),))

    def triggered(self, bus: str, name: str) -> None:
        """A scheduled rule fired (no event matched it: only TriggeredRules)."""
        self._count("TriggeredRules", ((), _rule(bus, name)))

    def attempted(self, target: Mapping[str, Any], delivered: bool, attempt: int) -> None:
        """One attempt at a rule's target (``attempt`` 0 the first)."""
        found = self._target_rule(target)
        if found is None:
            return
        bus, name = found
        sets: tuple[Dimensions, ...] = ((), (("EventBusName", bus),), _rule(bus, name))
        self._count("InvocationAttempts", sets)
        if delivered:
            self._count("SuccessfulInvocationAttempts", sets)
        if attempt > 0:
            self._count("RetryInvocationAttempts", sets)

    def finished(self, target: Mapping[str, Any], failed: bool) -> None:
        found = self._target_rule(target)
        if found is None:
            return
        rule = _rule(*found)
        self._count("Invocations", ((), rule))
        if failed:
            self._count("FailedInvocations", (rule,))

    def dead_lettered(self, target: Mapping[str, Any], sent: bool) -> None:
        found = self._target_rule(target)
        if found is not None:
            metric = "InvocationsSentToDlq" if sent else "InvocationsFailedToBeSentToDlq"
            self._count(metric, (_rule(*found),))

    def _target_rule(self, target: Mapping[str, Any]) -> tuple[str, str] | None:
        if self.publisher is None or target.get("kind") == "schedule":
            return None
        return rule_of(str(target.get("source", "")))
