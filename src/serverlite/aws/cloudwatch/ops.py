"""CloudWatch's metric operations, with the checks CloudWatch makes.

PutMetricData takes single values, value/count arrays and statistic sets, at standard
(60 s) or high (1 s) resolution; namespaces under ``AWS/`` are AWS's own and refused.
GetMetricStatistics and GetMetricData read period-aligned aggregates from the start
time; GetMetricData's expressions are metric math (``observe.metric_math``).
"""

from __future__ import annotations

import math
from typing import Any

from serverlite.aws.cloudwatch import errors
from serverlite.aws.cloudwatch.context import CloudWatchContext
from serverlite.observe import statistics
from serverlite.observe.billing import BILLING
from serverlite.observe.metric_math import Grid, MathError, TimeSeries, evaluate
from serverlite.observe.metrics import Aggregate, Dimensions

UNITS = frozenset(
    [
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    ]
)
MAX_DATUMS = 1000
MAX_DIMENSIONS = 30
MAX_DATAPOINTS = 1440  # GetMetricStatistics' limit per call
PAST_S = 14 * 24 * 3600  # PutMetricData takes timestamps up to two weeks old
FUTURE_S = 2 * 3600  # and up to two hours ahead
LIST_PAGE = 500

Params = dict[str, Any]


def _dimensions(raw: Any, where: str) -> Dimensions:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_DIMENSIONS:
        raise errors.invalid(f"The collection {where}.Dimensions must have at most 30 members.")
    pairs = {}
    for item in raw:
        name, value = item.get("Name"), item.get("Value")
        if not isinstance(name, str) or not name:
            raise errors.missing(f"{where}.Dimensions.member.Name")
        if not isinstance(value, str) or not value:
            raise errors.missing(f"{where}.Dimensions.member.Value")
        pairs[name] = value
    return tuple(sorted(pairs.items()))


def _unit(raw: Any) -> str:
    if raw is None:
        return "None"
    if raw not in UNITS:
        raise errors.invalid(f"The value {raw} for parameter Unit is not a valid unit.")
    return str(raw)


def put_metric_data(ctx: CloudWatchContext, params: Params) -> Params:
    namespace = params.get("Namespace")
    if not isinstance(namespace, str) or not namespace:
        raise errors.missing("Namespace")
    if namespace.startswith("AWS/"):
        raise errors.invalid(f"The value {namespace} for parameter Namespace is invalid.")
    data = params.get("MetricData")
    if not isinstance(data, list) or not data:
        raise errors.missing("MetricData")
    if len(data) > MAX_DATUMS:
        raise errors.invalid("The collection MetricData must not have more than 1000 members.")
    now = ctx.now()
    checked = [_datum(d, i + 1, now) for i, d in enumerate(data)]
    store = ctx.metrics
    for name, dims, stamp, resolution, agg in checked:
        store.record_set(namespace, name, (dims,), agg, timestamp=stamp, resolution=resolution)
    return {}


def _datum(datum: Params, index: int, now: float) -> tuple[str, Dimensions, float, int, Aggregate]:
    where = f"MetricData.member.{index}"
    name = datum.get("MetricName")
    if not isinstance(name, str) or not name:
        raise errors.missing(f"{where}.MetricName")
    dims = _dimensions(datum.get("Dimensions"), where)
    stamp = datum.get("Timestamp", now)
    if not isinstance(stamp, (int, float)):
        raise errors.invalid(f"The parameter {where}.Timestamp is not a timestamp.")
    if stamp < now - PAST_S or stamp > now + FUTURE_S:
        raise errors.invalid(
            f"The parameter {where}.Timestamp must specify a time no more than two weeks in "
            "the past or two hours in the future."
        )
    resolution = datum.get("StorageResolution", 60)
    if resolution not in (1, 60):
        raise errors.invalid(
            f"The value {resolution} for parameter {where}.StorageResolution is invalid: "
            "it must be 1 or 60."
        )
    agg = Aggregate(unit=_unit(datum.get("Unit")))
    value, values, stats = datum.get("Value"), datum.get("Values"), datum.get("StatisticValues")
    given = [x is not None for x in (value, values, stats)]
    if sum(given) != 1:
        raise errors.combination(
            f"The parameters {where}.Value, {where}.Values and {where}.StatisticValues are "
            "mutually exclusive and one of them must be specified."
        )
    if value is not None:
        agg.add(_number(value, f"{where}.Value"))
    elif values is not None:
        counts = datum.get("Counts") or [1.0] * len(values)
        if len(counts) != len(values):
            raise errors.invalid(
                f"The parameters {where}.Values and {where}.Counts must be of the same size."
            )
        for v, c in zip(values, counts, strict=True):
            agg.add(_number(v, f"{where}.Values"), _number(c, f"{where}.Counts"))
    elif isinstance(stats, dict):
        for key in ("SampleCount", "Sum", "Minimum", "Maximum"):
            if not isinstance(stats.get(key), (int, float)):
                raise errors.missing(f"{where}.StatisticValues.{key}")
        agg.add_set(stats["SampleCount"], stats["Sum"], stats["Minimum"], stats["Maximum"])
    return name, dims, float(stamp), int(resolution), agg


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise errors.invalid(f"The value {value} for parameter {where} is invalid.")
    return float(value)


def _period(raw: Any, where: str = "Period") -> int:
    if not isinstance(raw, int) or raw <= 0:
        raise errors.missing(where)
    if raw not in (1, 5, 10, 20, 30) and raw % 60:
        raise errors.invalid(
            f"The parameter {where} must be 1, 5, 10, 20, 30, or any multiple of 60."
        )
    return raw


def _range(params: Params) -> tuple[float, float]:
    start, end = params.get("StartTime"), params.get("EndTime")
    if not isinstance(start, (int, float)):
        raise errors.missing("StartTime")
    if not isinstance(end, (int, float)):
        raise errors.missing("EndTime")
    if end <= start:
        raise errors.invalid("The parameter StartTime must be less than the parameter EndTime.")
    return float(start), float(end)


def get_metric_statistics(ctx: CloudWatchContext, params: Params) -> Params:
    for key in ("Namespace", "MetricName"):
        if not isinstance(params.get(key), str):
            raise errors.missing(key)
    start, end = _range(params)
    period = _period(params.get("Period"))
    stats = list(params.get("Statistics") or [])
    extended = list(params.get("ExtendedStatistics") or [])
    if not stats and not extended:
        raise errors.missing("Statistics")
    for stat in stats:
        if stat not in statistics.STANDARD:
            raise errors.invalid(f"The value {stat} for parameter Statistics is not valid.")
    for stat in extended:
        if not statistics.valid(stat) or stat in statistics.STANDARD:
            raise errors.invalid(f"The value {stat} for parameter ExtendedStatistics is not valid.")
    if (end - start) / period > MAX_DATAPOINTS:
        raise errors.invalid(
            "You have requested up to "
            f"{math.ceil((end - start) / period)} datapoints, which exceeds the limit of 1440."
        )
    dims = _dimensions(params.get("Dimensions"), "Dimensions")
    unit = params.get("Unit")
    store = ctx.metrics
    series = store.find(params["Namespace"], params["MetricName"], dims)
    buckets = store.datapoints([series.id] if series else [], start, end, period)
    points = []
    for stamp, agg in sorted(buckets.items()):
        if unit is not None and agg.unit != unit:
            continue
        point: Params = {"Timestamp": float(stamp), "Unit": agg.unit}
        for stat in stats:
            point[stat] = statistics.value(agg, stat)
        if extended:
            point["ExtendedStatistics"] = {
                s: v for s in extended if (v := statistics.value(agg, s)) is not None
            }
        points.append(point)
    return {"Label": params["MetricName"], "Datapoints": points}


def get_metric_data(ctx: CloudWatchContext, params: Params) -> Params:
    queries = params.get("MetricDataQueries")
    if not isinstance(queries, list) or not queries:
        raise errors.missing("MetricDataQueries")
    if len(queries) > 500:
        raise errors.invalid("The collection MetricDataQueries must have at most 500 members.")
    start, end = _range(params)
    ids = [q.get("Id") for q in queries]
    if len(set(ids)) != len(ids) or not all(isinstance(i, str) and i for i in ids):
        raise errors.invalid("The values for parameter id in MetricDataQueries must be unique.")
    scan_descending = params.get("ScanBy", "TimestampDescending") != "TimestampAscending"
    store = ctx.metrics
    series: dict[str, TimeSeries] = {}
    periods: dict[str, int] = {}
    for query in queries:  # metric queries first: expressions read them
        stat_query = query.get("MetricStat")
        if stat_query is None:
            continue
        if query.get("Expression") is not None:
            raise errors.invalid(f"Query {query['Id']} has both an Expression and a MetricStat.")
        series[query["Id"]], periods[query["Id"]] = _metric_stat(store, stat_query, start, end)
        series[query["Id"]].label = query.get("Label") or stat_query["Metric"]["MetricName"]
    default_period = min(periods.values(), default=60)
    for query in queries:
        expression = query.get("Expression")
        if query.get("MetricStat") is not None:
            continue
        if not isinstance(expression, str) or not expression:
            raise errors.invalid(f"Query {query['Id']} has neither an Expression nor a MetricStat.")
        period = query.get("Period") or default_period
        grid = Grid(int(start), int(end), int(period))
        try:
            value = evaluate(expression, series, grid, metric_ids=frozenset(periods))
        except MathError as exc:
            raise errors.invalid(f"Error in expression {query['Id']}: {exc}") from exc
        if isinstance(value, list):
            if len(value) != 1:
                raise errors.invalid(
                    f"Error in expression {query['Id']}: it must return one time series, "
                    f"not {len(value)}."
                )
            value = value[0]
        if isinstance(value, float):  # a scalar: one value at each timestamp of the grid
            value = TimeSeries(dict.fromkeys(grid.timestamps(), value))
        value.label = query.get("Label") or query["Id"]
        series[query["Id"]] = value
    results = []
    for query in queries:
        if query.get("ReturnData") is False:
            continue
        found = series[query["Id"]]
        stamps = sorted(
            (t for t, v in found.points.items() if not math.isnan(v)), reverse=scan_descending
        )
        results.append(
            {
                "Id": query["Id"],
                "Label": found.label,
                "Timestamps": [float(t) for t in stamps],
                "Values": [found.points[t] for t in stamps],
                "StatusCode": "Complete",
            }
        )
    return {"MetricDataResults": results, "Messages": []}


def _metric_stat(store: Any, query: Params, start: float, end: float) -> tuple[TimeSeries, int]:
    metric = query.get("Metric") or {}
    namespace, name = metric.get("Namespace"), metric.get("MetricName")
    if not isinstance(namespace, str) or not isinstance(name, str):
        raise errors.missing("MetricStat.Metric")
    period = _period(query.get("Period"), "MetricStat.Period")
    stat = query.get("Stat")
    if not isinstance(stat, str) or not statistics.valid(stat):
        raise errors.invalid(f"The value {stat} for parameter MetricStat.Stat is not valid.")
    dims = _dimensions(metric.get("Dimensions"), "MetricStat.Metric")
    found = store.find(namespace, name, dims)
    buckets = store.datapoints([found.id] if found else [], start, end, period)
    unit = query.get("Unit")
    points = {
        t: v
        for t, agg in buckets.items()
        if (unit is None or agg.unit == unit) and (v := statistics.value(agg, stat)) is not None
    }
    return TimeSeries(points), period


def list_metrics(ctx: CloudWatchContext, params: Params) -> Params:
    filters = []
    for item in params.get("Dimensions") or []:
        if not isinstance(item.get("Name"), str):
            raise errors.missing("Dimensions.member.Name")
        filters.append((item["Name"], item.get("Value")))
    since = None
    if params.get("RecentlyActive") == "PT3H":
        since = ctx.now() - 3 * 3600
    elif params.get("RecentlyActive") is not None:
        raise errors.invalid("The value for parameter RecentlyActive must be PT3H.")
    found = [  # serverlite's own billing counts (observe/billing.py) are not AWS's
        s
        for s in ctx.metrics.series(
            params.get("Namespace"), params.get("MetricName"), filters, since=since
        )
        if s.namespace != BILLING
    ]
    token = params.get("NextToken")
    offset = 0
    if token is not None:
        if not (isinstance(token, str) and token.isdigit()):
            raise errors.bad_token()
        offset = int(token)
    page = found[offset : offset + LIST_PAGE]
    result: Params = {
        "Metrics": [
            {
                "Namespace": s.namespace,
                "MetricName": s.name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in s.dimensions],
            }
            for s in page
        ]
    }
    if offset + LIST_PAGE < len(found):
        result["NextToken"] = str(offset + LIST_PAGE)
    return result


OPERATIONS = {
    "PutMetricData": put_metric_data,
    "GetMetricStatistics": get_metric_statistics,
    "GetMetricData": get_metric_data,
    "ListMetrics": list_metrics,
}
