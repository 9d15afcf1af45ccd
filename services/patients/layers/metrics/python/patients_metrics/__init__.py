"""The metrics layer: per-operation count, duration and errors, in Embedded Metric
Format through Powertools Metrics (CloudWatch reads them from the log line).

Dimensions are the service and the operation only: never anything about a patient
or a user, which would put PHI (and unbounded cardinality) into metric names.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

OPERATIONS = frozenset(
    {
        "getPatient",
        "vreadPatient",
        "createPatient",
        "updatePatient",
        "deletePatient",
        "searchPatients",
        "getPatientAudit",
        "recordAudit",
    }
)


@dataclass
class Measurement:
    status: int = 500  # what the operation answered; 500 until it says otherwise
    denied: bool = False  # refused by authorization


def get_metrics(namespace: str | None = None, service: str | None = None) -> Metrics:
    return Metrics(namespace=namespace, service=service)


@contextmanager
def measure(
    metrics: Metrics, operation: str, clock: Callable[[], float] = time.perf_counter
) -> Iterator[Measurement]:
    """Record one operation: Requests, Duration, Errors (5xx), ClientErrors (4xx), Denied."""
    if operation not in OPERATIONS:  # dimensions come from this fixed set, nothing else
        raise ValueError(f"unknown operation {operation}")
    measurement = Measurement()
    started = clock()
    try:
        yield measurement
    finally:
        metrics.add_dimension(name="Operation", value=operation)
        metrics.add_metric(name="Requests", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="Duration", unit=MetricUnit.Milliseconds, value=(clock() - started) * 1000
        )
        status = measurement.status
        metrics.add_metric(name="Errors", unit=MetricUnit.Count, value=int(status >= 500))
        metrics.add_metric(
            name="ClientErrors", unit=MetricUnit.Count, value=int(400 <= status < 500)
        )
        metrics.add_metric(name="Denied", unit=MetricUnit.Count, value=int(measurement.denied))
