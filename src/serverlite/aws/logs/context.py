"""What the Logs API's operations reach."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from serverlite.aws.backend import AwsError, ServiceContext
from serverlite.aws.logs.store import LogsStore
from serverlite.aws.logs.subscriptions import SubscriptionStore
from serverlite.errors import FunctionNotFound
from serverlite.observe.observer import Observer

if TYPE_CHECKING:
    from serverlite.invoker.invoker import Invoker


class LogsContext:
    def __init__(self, context: ServiceContext) -> None:
        self.context = context
        self.region = context.region
        self.account_id = context.account_id
        self._store: LogsStore | None = None
        self._subscriptions: SubscriptionStore | None = None
        self.invoker: Invoker | None = None  # once event sources run (`serverlite up`)
        self.live_tails_end = threading.Event()  # set when the endpoint stops
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

    @property
    def subscriptions(self) -> SubscriptionStore:
        if self._subscriptions is None:
            self._subscriptions = SubscriptionStore(self.store.path)
        return self._subscriptions

    def function_exists(self, arn: str) -> bool:
        """Whether a Lambda destination names a function (unknown before ``up`` starts
        the event sources: then it is taken as existing, and checked when delivering)."""
        if self.invoker is None:
            return True
        try:
            self.invoker.resolve(arn)
        except FunctionNotFound:
            return False
        return True
