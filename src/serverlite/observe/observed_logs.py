"""The log sink functions write to: the log store, and EMF documents turned into metrics
on the way (CloudWatch Logs extracts them from log groups the same way)."""

from __future__ import annotations

from collections.abc import Sequence

from serverlite.observe.batch_writer import log
from serverlite.observe.emf import EmfError, parse
from serverlite.observe.logs import LogEvent, LogStore
from serverlite.observe.metrics import MetricStore


class ObservedLogs:
    def __init__(self, logs: LogStore, metrics: MetricStore | None) -> None:
        self.logs = logs
        self.metrics = metrics
        self._warned = False

    def write(self, group: str, stream: str, events: Sequence[LogEvent]) -> None:
        self.logs.write(group, stream, events)
        metrics = self.metrics
        if metrics is None:
            return
        for stamp, message in events:
            # emf.might_be_emf, inlined: every line of every invocation passes here.
            if message[:1] != "{" or '"_aws"' not in message:
                continue
            try:
                found = parse(message, stamp)
            except EmfError as exc:
                if not self._warned:
                    self._warned = True
                    log.warning("%s: an EMF document was not extracted: %s", group, exc)
                continue
            for metric in found:
                for value in metric.values:
                    metrics.record(
                        metric.namespace,
                        metric.name,
                        metric.dimension_sets,
                        value,
                        metric.unit,
                        timestamp=metric.timestamp_ms / 1000,
                        resolution=metric.resolution,
                    )
