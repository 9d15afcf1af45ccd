"""The metrics AWS publishes for what serverlite runs: same namespaces, names,
dimensions and units (CloudWatch User Guide, "AWS services that publish CloudWatch
metrics"; the Lambda, API Gateway, SQS, SNS, EventBridge and DynamoDB guides' metric
tables).

- ``AWS/Lambda``: Invocations, Errors, Throttles (Count, Sum), Duration (Milliseconds),
  ConcurrentExecutions (Count, read as Maximum), and for asynchronous invocations
  AsyncEventsReceived, AsyncEventAge (Milliseconds), AsyncEventsDropped,
  DeadLetterErrors, DestinationDeliveryFailures; by FunctionName, by FunctionName and
  Resource (the function, or function:alias), and for the whole account (no dimension).
- ``AWS/ApiGateway``: REST APIs Count, 4XXError, 5XXError, Latency, IntegrationLatency
  by ApiName and by ApiName and Stage; HTTP APIs Count, 4xx, 5xx, Latency,
  IntegrationLatency, DataProcessed by ApiId and by ApiId and Stage (HTTP APIs name
  their error metrics in lower case).
- The AWS services' own metrics (SQS, SNS, EventBridge, DynamoDB): ``service_call``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from serverlite.observe.metrics import Dimensions, Metric, MetricStore, dims

LAMBDA = "AWS/Lambda"
API = "AWS/ApiGateway"
_ACCOUNT: Dimensions = ()


class Publisher:
    def __init__(self, store: MetricStore | None) -> None:
        self.store = store
        self._lambda_dims: dict[str, tuple[Dimensions, ...]] = {}
        # The store's numbers for each function's and API's metrics (record_values).
        self._invocation_ids: dict[str, tuple[int, ...]] = {}
        self._api_ids: dict[tuple[bool, str, str], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    @property
    def enabled(self) -> bool:
        return self.store is not None

    def _function(self, name: str) -> tuple[Dimensions, ...]:
        sets = self._lambda_dims.get(name)
        if sets is None:
            sets = self._lambda_dims[name] = (
                dims(FunctionName=name),
                dims(FunctionName=name, Resource=name),
                _ACCOUNT,
            )
        return sets

    # -- Lambda --------------------------------------------------------------------------
    def invocation(self, function: str, duration_ms: float, error: bool, concurrent: int) -> None:
        store = self.store
        if store is None:
            return
        ids = self._invocation_ids.get(function)
        if ids is None:
            sets = self._function(function)
            ids = self._invocation_ids[function] = store.metric_ids(
                (
                    (LAMBDA, "Invocations", sets, "Count"),
                    (LAMBDA, "Errors", sets, "Count"),
                    (LAMBDA, "Duration", sets, "Milliseconds"),
                    (LAMBDA, "ConcurrentExecutions", sets, "Count"),
                )
            )
        store.record_values(ids, (1.0, 1.0 if error else 0.0, duration_ms, float(concurrent)))

    def lambda_count(self, function: str, metric: str, value: float = 1.0) -> None:
        """Throttles, AsyncEventsReceived, AsyncEventsDropped, DeadLetterErrors,
        DestinationDeliveryFailures."""
        if self.store is not None:
            self.store.record(LAMBDA, metric, self._function(function), value, "Count")

    def async_event_age(self, function: str, age_ms: float) -> None:
        if self.store is not None:
            self.store.record(
                LAMBDA, "AsyncEventAge", self._function(function), age_ms, "Milliseconds"
            )

    # -- API Gateway ---------------------------------------------------------------------
    def api_request(
        self,
        *,
        rest: bool,
        api_name: str,
        api_id: str,
        stage: str,
        status: int,
        latency_ms: float,
        integration_ms: float | None,
        bytes_processed: int,
    ) -> None:
        record = self.api_recorder(rest=rest, api_name=api_name, api_id=api_id, stage=stage)
        if record is not None:
            record(status, latency_ms, integration_ms, bytes_processed)

    def api_recorder(
        self, *, rest: bool, api_name: str, api_id: str, stage: str
    ) -> Callable[[int, float, float | None, int], None] | None:
        """What records one request's metrics to this API (status, latency_ms,
        integration_ms, bytes_processed), its metrics' numbers found once: a gateway
        holds it (None: metrics off)."""
        store = self.store
        if store is None:
            return None
        key = (rest, api_name if rest else api_id, stage)
        ids = self._api_ids.get(key)
        if ids is None:
            ids = self._api_ids[key] = self._api_metric_ids(store, key)
        with_integration, without = ids
        record_values = store.record_values

        def record(
            status: int, latency_ms: float, integration_ms: float | None, bytes_processed: int
        ) -> None:
            server_error = 1.0 if status >= 500 else 0.0
            client_error = 1.0 if 400 <= status < 500 else 0.0
            if integration_ms is None:  # no integration ran: no IntegrationLatency
                values: tuple[float, ...] = (1.0, client_error, server_error, latency_ms)
            else:
                values = (1.0, client_error, server_error, latency_ms, integration_ms)
            if not rest:
                values += (float(bytes_processed),)
            record_values(without if integration_ms is None else with_integration, values)

        return record

    def _api_metric_ids(
        self, store: MetricStore, key: tuple[bool, str, str]
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The API's metrics with IntegrationLatency, and without."""
        rest, value, stage = key
        name = "ApiName" if rest else "ApiId"
        sets = (((name, value),), tuple(sorted(((name, value), ("Stage", stage)))))
        client, server = ("4XXError", "5XXError") if rest else ("4xx", "5xx")
        metrics: list[Metric] = [
            (API, "Count", sets, "Count"),
            (API, client, sets, "Count"),
            (API, server, sets, "Count"),
            (API, "Latency", sets, "Milliseconds"),
            (API, "IntegrationLatency", sets, "Milliseconds"),
        ]
        if not rest:
            metrics.append((API, "DataProcessed", sets, "Bytes"))
        with_integration = store.metric_ids(metrics)
        return with_integration, with_integration[:4] + with_integration[5:]

    # -- AWS services --------------------------------------------------------------------
    def record(
        self,
        namespace: str,
        metric: str,
        dimension_sets: tuple[Dimensions, ...],
        value: float,
        unit: str,
    ) -> None:
        if self.store is not None:
            self.store.record(namespace, metric, dimension_sets, value, unit)


def request_value(request: Mapping[str, Any], key: str) -> str | None:
    value = request.get(key)
    return value if isinstance(value, str) else None
