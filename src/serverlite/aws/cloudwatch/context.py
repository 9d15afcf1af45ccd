"""What CloudWatch's operations reach: the metric store, the alarms, the clock, the
account, and where alarm state changes are sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from serverlite.aws.backend import AwsError, ServiceContext
from serverlite.observe.metrics import MetricStore
from serverlite.observe.observer import Observer

if TYPE_CHECKING:
    from serverlite.aws.cloudwatch.alarms import AlarmStore, Change


class CloudWatchContext:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.alarms: AlarmStore | None = None
        # Set by the backend when actions can run (serverlite up): SNS, Lambda, events.
        self.on_change: Callable[[list[Change]], None] | None = None

    @property
    def metrics(self) -> MetricStore:
        observer = self.context.observer
        if not isinstance(observer, Observer) or observer.metrics is None:
            raise AwsError("InternalServiceError", "metrics are off in this serverlite", 500)
        return observer.metrics

    @property
    def metrics_or_none(self) -> MetricStore | None:
        observer = self.context.observer
        return observer.metrics if isinstance(observer, Observer) else None

    def now(self) -> float:
        return self.context.clock()

    def notify(self, changes: list[Change]) -> None:
        if self.on_change is not None and changes:
            self.on_change(changes)
