"""What CloudWatch's operations reach: the metric store, the clock, the account."""

from __future__ import annotations

from serverlite.aws.backend import AwsError, ServiceContext
from serverlite.observe.metrics import MetricStore
from serverlite.observe.observer import Observer


class CloudWatchContext:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context

    @property
    def metrics(self) -> MetricStore:
        observer = self.context.observer
        if not isinstance(observer, Observer) or observer.metrics is None:
            raise AwsError("InternalServiceError", "metrics are off in this serverlite", 500)
        return observer.metrics

    def now(self) -> float:
        return self.context.clock()
