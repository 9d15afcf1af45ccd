"""The Embedded Metric Format: a log line that is a JSON document with an
``_aws.CloudWatchMetrics`` directive becomes metrics, as CloudWatch Logs extracts them.

    {"_aws": {"Timestamp": 1574109732004,
              "CloudWatchMetrics": [{"Namespace": "lambda-function-metrics",
                                     "Dimensions": [["functionVersion"]],
                                     "Metrics": [{"Name": "time", "Unit": "Milliseconds",
                                                  "StorageResolution": 60}]}]},
     "functionVersion": "$LATEST", "time": 100}

Each dimension set is a list of keys whose values are strings in the document; a
metric's value is a number or a list of up to 100 numbers. A document that breaks the
specification is not extracted (CloudWatch keeps it as a plain log event), and the
first such document is reported once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from serverlite.observe.metrics import Dimensions

log = logging.getLogger("serverlite.observe")
MAX_METRICS = 100
MAX_DIMENSIONS = 30
MAX_VALUES = 100


@dataclass(frozen=True)
class EmfMetric:
    namespace: str
    name: str
    dimension_sets: tuple[Dimensions, ...]
    values: tuple[float, ...]
    unit: str
    resolution: int
    timestamp_ms: int


class EmfError(ValueError):
    pass


def might_be_emf(message: str) -> bool:
    return message.startswith("{") and '"_aws"' in message


def parse(message: str, default_ms: int) -> list[EmfMetric]:
    """The metrics of one log line (empty when it is not an EMF document)."""
    if not might_be_emf(message):
        return []
    try:
        doc = json.loads(message)
    except ValueError:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("_aws"), dict):
        return []
    return list(_metrics(doc, default_ms))


def _metrics(doc: dict[str, Any], default_ms: int) -> Iterator[EmfMetric]:
    meta = doc["_aws"]
    stamp = meta.get("Timestamp", default_ms)
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        raise EmfError("_aws.Timestamp must be an integer of epoch milliseconds")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list):
        raise EmfError("_aws.CloudWatchMetrics must be a list")
    for directive in directives:
        namespace = directive.get("Namespace") if isinstance(directive, dict) else None
        if not isinstance(namespace, str) or not namespace:
            raise EmfError("a CloudWatchMetrics directive needs a Namespace")
        sets = tuple(_dimension_set(doc, keys) for keys in directive.get("Dimensions") or [[]])
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or len(metrics) > MAX_METRICS:
            raise EmfError("Metrics must be a list of at most 100 metric definitions")
        for metric in metrics:
            name = metric.get("Name") if isinstance(metric, dict) else None
            if not isinstance(name, str) or name not in doc:
                raise EmfError(f"metric {name!r} has no value in the document")
            resolution = metric.get("StorageResolution", 60)
            if resolution not in (1, 60):
                raise EmfError(f"metric {name}: StorageResolution must be 1 or 60")
            yield EmfMetric(
                namespace,
                name,
                sets,
                _values(doc[name], name),
                str(metric.get("Unit") or "None"),
                int(resolution),
                stamp,
            )


def _dimension_set(doc: dict[str, Any], keys: Sequence[Any]) -> Dimensions:
    if not isinstance(keys, list) or len(keys) > MAX_DIMENSIONS:
        raise EmfError("a dimension set is a list of at most 30 keys")
    pairs = []
    for key in keys:
        value = doc.get(key)
        if not isinstance(key, str) or not isinstance(value, str):
            raise EmfError(f"dimension {key!r} needs a string value in the document")
        pairs.append((key, value))
    return tuple(sorted(pairs))


def _values(value: Any, name: str) -> tuple[float, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or len(values) > MAX_VALUES:
        raise EmfError(f"metric {name}: a value or a list of up to 100 values")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise EmfError(f"metric {name}: values must be numbers")
    return tuple(float(v) for v in values)
