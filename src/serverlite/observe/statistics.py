"""CloudWatch statistics of an aggregate: SampleCount, Sum, Average, Minimum, Maximum,
and the extended percentiles ``pNN`` / ``pNN.NN`` (from the values kept), ``tmNN``
(trimmed mean of the lowest NN%) and ``IQM``."""

from __future__ import annotations

import math
import re

from serverlite.observe.metrics import Aggregate

STANDARD = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"p(\d{1,2}(?:\.\d{1,2})?|100)$")
_TRIMMED = re.compile(r"tm(\d{1,2}(?:\.\d{1,2})?)$")


def valid(stat: str) -> bool:
    return (
        stat in STANDARD or stat == "IQM" or bool(_PERCENTILE.match(stat) or _TRIMMED.match(stat))
    )


def value(agg: Aggregate, stat: str) -> float | None:
    if agg.count <= 0:
        return None
    if stat == "SampleCount":
        return agg.count
    if stat == "Sum":
        return agg.sum
    if stat == "Average":
        return agg.sum / agg.count
    if stat == "Minimum":
        return agg.min
    if stat == "Maximum":
        return agg.max
    values = sorted(agg.values)
    if not values:  # published as statistic sets only: CloudWatch has no percentiles
        return None
    if stat == "IQM":
        return _mean(values[len(values) // 4 : math.ceil(len(values) * 3 / 4)])
    found = _PERCENTILE.match(stat)
    if found:
        rank = float(found.group(1)) / 100 * len(values)
        return values[min(len(values) - 1, max(0, math.ceil(rank) - 1))]
    found = _TRIMMED.match(stat)
    if found:
        keep = max(1, math.ceil(float(found.group(1)) / 100 * len(values)))
        return _mean(values[:keep])
    return None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None
