"""What EventBridge's operations run against (``EventsContext``: the store, the rule
router, the ARNs, the clock and the workers' wake-ups), and the request helpers they
share. The operations are ``op(ctx, request) -> response`` functions in ``ops_buses``,
``ops_rules``, ``ops_events``, ``ops_archives`` and ``ops_schedules``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.patterns import PatternError, compile_pattern

from .metrics import EventsMetrics
from .names import DEFAULT_BUS, Arns, validation
from .records import Bus
from .router import RuleRouter
from .schedule_expressions import ScheduleExpressionError, parse_expression
from .store import EventsDb

PATTERN_MAX = 4096


def _nothing() -> None:
    pass


@dataclass(frozen=True)
class EventsContext:
    db: EventsDb
    router: RuleRouter
    arns: Arns
    clock: Callable[[], float]
    # Rules or schedules changed: the schedule loop reloads what fires when.
    schedules_changed: Callable[[], None] = _nothing
    wake: Callable[[], None] = _nothing  # the delivery worker has work
    wake_replays: Callable[[], None] = _nothing  # a replay started or has more to do
    metrics: EventsMetrics = field(default_factory=lambda: EventsMetrics(None))

    def __post_init__(self) -> None:
        # Every account has the default bus; it cannot be deleted.
        if self.db.bus(DEFAULT_BUS) is None:
            now = self.clock()
            self.db.put_bus(Bus(DEFAULT_BUS, "", now, now))

    def rules_changed(self) -> None:
        """Buses, rules or targets changed: recompile routing, reload schedules."""
        self.router.invalidate()
        self.schedules_changed()


def invalid_pattern(exc: PatternError) -> AwsError:
    return AwsError("InvalidEventPatternException", str(exc))


def check_pattern(text: Any) -> str:
    if not isinstance(text, str):
        raise AwsError(
            "InvalidEventPatternException",
            "Event pattern is not valid. Reason: Filter is not an object",
        )
    if len(text) > PATTERN_MAX:
        raise validation(
            "1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: "
            f"Member must have length less than or equal to {PATTERN_MAX}"
        )
    try:
        compile_pattern(text)
    except PatternError as exc:
        raise invalid_pattern(exc) from exc
    return text


def check_schedule(text: Any) -> None:
    try:
        parse_expression(str(text))
    except ScheduleExpressionError as exc:
        raise validation("Parameter ScheduleExpression is not valid.") from exc


def page(items: list[Any], body: dict[str, Any], key: str) -> dict[str, Any]:
    """AWS-style pagination over a listing: Limit and an opaque NextToken."""
    limit = body.get("Limit") or body.get("MaxResults") or 100
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise validation(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            "constraint: Member must have value between 1 and 100"
        )
    start = 0
    token = body.get("NextToken")
    if token:
        try:
            start = int(base64.urlsafe_b64decode(str(token).encode()).decode())
        except ValueError as exc:
            raise validation("The NextToken provided is invalid.") from exc
    result: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        result["NextToken"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
    return result
