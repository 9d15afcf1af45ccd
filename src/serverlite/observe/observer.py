"""What the observer holds for one application: the trace store and the tracer (and,
as they land, metrics and the logs API's views), handed to the services that serve them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from serverlite.observe.logs import LogStore
from serverlite.observe.metrics import MetricStore
from serverlite.observe.publishing import Publisher
from serverlite.observe.traces import TraceStore
from serverlite.observe.tracing import Tracer


@dataclass(frozen=True)
class Observer:
    tracer: Tracer
    traces: TraceStore | None  # None: tracing off
    publisher: Publisher
    metrics: MetricStore | None  # None: metrics off
    logs: LogStore | None = None  # the functions' logs (the Logs API reads them)
    log_sink: Any = None  # where PutLogEvents writes (the log store, EMF made metrics)

    def close(self) -> None:
        if self.traces is not None:
            self.traces.close()
        if self.metrics is not None:
            self.metrics.close()
