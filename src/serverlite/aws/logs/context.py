"""What the Logs API's operations reach."""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError, ServiceContext
from serverlite.aws.logs.store import LogsStore
from serverlite.observe.observer import Observer


class LogsContext:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.region = context.region
        self.account_id = context.account_id
        self._store: LogsStore | None = None
        self.queries: dict[str, Any] = {}  # Logs Insights: query id -> its result

    @property
    def observer(self) -> Observer:
        observer = self.context.observer
        if not isinstance(observer, Observer) or observer.logs is None:
            raise AwsError("ServiceUnavailableException", "logs are not kept here", 503)
        return observer

    @property
    def store(self) -> LogsStore:
        if self._store is None:
            logs = self.observer.logs
            assert logs is not None
            self._store = LogsStore(logs, self.context.clock)
        return self._store

    @property
    def sink(self) -> Any:
        """Where PutLogEvents writes: the log store, EMF documents made metrics."""
        return self.observer.log_sink
