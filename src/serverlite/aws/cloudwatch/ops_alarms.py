"""CloudWatch's alarm operations: PutMetricAlarm, PutCompositeAlarm, DescribeAlarms,
DescribeAlarmsForMetric, DeleteAlarms, SetAlarmState, DescribeAlarmHistory,
EnableAlarmActions and DisableAlarmActions, with CloudWatch's checks."""

from __future__ import annotations

import json
from typing import Any

from serverlite.aws.cloudwatch import errors
from serverlite.aws.cloudwatch.alarm_rule import RuleError, parse
from serverlite.aws.cloudwatch.alarms import MISSING, OPERATORS, AlarmStore, Change, set_state
from serverlite.aws.cloudwatch.context import CloudWatchContext
from serverlite.observe import statistics

Params = dict[str, Any]
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
ANOMALY = (
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
)
_ACTIONS = ("AlarmActions", "OKActions", "InsufficientDataActions")


def _store(ctx: CloudWatchContext) -> AlarmStore:
    store = ctx.alarms
    assert store is not None
    return store


def _arn(ctx: CloudWatchContext, name: str) -> str:
    c = ctx.context
    return f"arn:aws:cloudwatch:{c.region}:{c.account_id}:alarm:{name}"


def _name(params: Params) -> str:
    name = params.get("AlarmName")
    if not isinstance(name, str) or not name:
        raise errors.missing("AlarmName")
    if len(name) > 255:
        raise errors.invalid("The parameter AlarmName must be shorter than 256 characters.")
    return name


def _base(ctx: CloudWatchContext, params: Params, name: str, kind: str) -> Params:
    now = ctx.now()
    previous = _store(ctx).get(name)
    alarm: Params = {
        "AlarmName": name,
        "AlarmArn": _arn(ctx, name),
        "Kind": kind,
        "ActionsEnabled": params.get("ActionsEnabled", True) is not False,
        "AlarmConfigurationUpdatedTimestamp": now,
        "StateValue": "INSUFFICIENT_DATA",
        "StateReason": "Unchecked: Initial alarm creation",
        "StateUpdatedTimestamp": now,
        "StateTransitionedTimestamp": now,
    }
    if params.get("AlarmDescription") is not None:
        alarm["AlarmDescription"] = str(params["AlarmDescription"])
    for key in _ACTIONS:
        alarm[key] = [str(a) for a in params.get(key) or []]
    if previous is not None and previous.get("Kind") == kind:
        # An update keeps the alarm's state (AWS re-evaluates it at the next minute).
        for key in (
            "StateValue",
            "StateReason",
            "StateReasonData",
            "StateUpdatedTimestamp",
            "StateTransitionedTimestamp",
        ):
            if key in previous:
                alarm[key] = previous[key]
    return alarm


def _configured(ctx: CloudWatchContext, alarm: Params, created: bool) -> None:
    store = _store(ctx)
    store.put(alarm)
    verb = "created" if created else "updated"
    config = {k: v for k, v in alarm.items() if not k.startswith("State")}
    store.record(
        alarm["AlarmName"],
        ctx.now(),
        "ConfigurationUpdate",
        f'Alarm "{alarm["AlarmName"]}" {verb}',
        {"version": "1.0", "type": "Create" if created else "Update", "createdAlarm": config},
    )


def put_metric_alarm(ctx: CloudWatchContext, params: Params) -> Params:
    name = _name(params)
    operator = params.get("ComparisonOperator")
    if not isinstance(operator, str):
        raise errors.missing("ComparisonOperator")
    if operator in ANOMALY:
        raise errors.invalid(
            f"ComparisonOperator {operator} needs an anomaly detection band, which "
            "serverlite does not emulate."
        )
    if operator not in OPERATORS:
        raise errors.invalid(f"The value {operator} for parameter ComparisonOperator is not valid.")
    periods = params.get("EvaluationPeriods")
    if not isinstance(periods, int) or periods < 1:
        raise errors.missing("EvaluationPeriods")
    to_alarm = params.get("DatapointsToAlarm")
    if to_alarm is not None and (not isinstance(to_alarm, int) or not 1 <= to_alarm <= periods):
        raise errors.invalid(
            "DatapointsToAlarm must be greater than zero and less than or equal to "
            "EvaluationPeriods."
        )
    treat = params.get("TreatMissingData")
    if treat is not None and treat not in MISSING:
        raise errors.invalid(f"The value {treat} for parameter TreatMissingData is not valid.")
    alarm = _base(ctx, params, name, "Metric")
    metrics = params.get("Metrics")
    if metrics:
        if params.get("MetricName") or params.get("Namespace"):
            raise errors.combination("Use either Metrics or MetricName/Namespace, not both.")
        returned = [q for q in metrics if q.get("ReturnData", True) is not False]
        if len(returned) != 1:
            raise errors.invalid("Exactly one element of the metrics list should return data.")
        alarm["Metrics"] = metrics
    else:
        for key in ("MetricName", "Namespace", "Period"):
            if params.get(key) is None:
                raise errors.missing(key)
        stat, extended = params.get("Statistic"), params.get("ExtendedStatistic")
        if (stat is None) == (extended is None):
            raise errors.combination(
                "Exactly one of Statistic or ExtendedStatistic must be specified."
            )
        if stat is not None and stat not in statistics.STANDARD:
            raise errors.invalid(f"The value {stat} for parameter Statistic is not valid.")
        if extended is not None and not statistics.valid(str(extended)):
            raise errors.invalid(
                f"The value {extended} for parameter ExtendedStatistic is not valid."
            )
        for key in ("MetricName", "Namespace", "Period", "Statistic", "ExtendedStatistic", "Unit"):
            if params.get(key) is not None:
                alarm[key] = params[key]
        alarm["Dimensions"] = [
            {"Name": str(d["Name"]), "Value": str(d["Value"])}
            for d in params.get("Dimensions") or []
        ]
    if params.get("Threshold") is None:
        raise errors.missing("Threshold")
    alarm["Threshold"] = float(params["Threshold"])
    alarm["ComparisonOperator"] = operator
    alarm["EvaluationPeriods"] = periods
    if to_alarm is not None:
        alarm["DatapointsToAlarm"] = to_alarm
    alarm["TreatMissingData"] = treat or "missing"
    if params.get("EvaluateLowSampleCountPercentile"):
        alarm["EvaluateLowSampleCountPercentile"] = params["EvaluateLowSampleCountPercentile"]
    _configured(ctx, alarm, _store(ctx).get(name) is None)
    return {}


def put_composite_alarm(ctx: CloudWatchContext, params: Params) -> Params:
    name = _name(params)
    rule = params.get("AlarmRule")
    if not isinstance(rule, str) or not rule:
        raise errors.missing("AlarmRule")
    try:
        parsed = parse(rule)
    except RuleError as exc:
        raise errors.invalid(f"AlarmRule is invalid: {exc}") from None
    if name in parsed.alarms():
        raise errors.invalid("A composite alarm cannot refer to itself in its AlarmRule.")
    alarm = _base(ctx, params, name, "Composite")
    alarm["AlarmRule"] = rule
    _configured(ctx, alarm, _store(ctx).get(name) is None)
    return {}


_HIDDEN = ("Kind",)


def _render(alarm: Params) -> Params:
    return {k: v for k, v in alarm.items() if k not in _HIDDEN}


def describe_alarms(ctx: CloudWatchContext, params: Params) -> Params:
    names = params.get("AlarmNames") or []
    prefix = params.get("AlarmNamePrefix")
    wanted_state = params.get("StateValue")
    prefix_action = params.get("ActionPrefix")
    types = params.get("AlarmTypes") or ["MetricAlarm"]
    metric, composite = [], []
    for alarm in _store(ctx).all():
        if names and alarm["AlarmName"] not in names:
            continue
        if prefix and not alarm["AlarmName"].startswith(prefix):
            continue
        if wanted_state and alarm["StateValue"] != wanted_state:
            continue
        if prefix_action and not any(
            a.startswith(prefix_action) for key in _ACTIONS for a in alarm.get(key, [])
        ):
            continue
        if alarm["Kind"] == "Composite":
            composite.append(_render(alarm))
        else:
            metric.append(_render(alarm))
    result: Params = {}
    if "MetricAlarm" in types:
        result["MetricAlarms"] = metric
    if "CompositeAlarm" in types:
        result["CompositeAlarms"] = composite
    return result


def describe_alarms_for_metric(ctx: CloudWatchContext, params: Params) -> Params:
    for key in ("MetricName", "Namespace"):
        if not isinstance(params.get(key), str):
            raise errors.missing(key)
    dims = sorted((d["Name"], d["Value"]) for d in params.get("Dimensions") or [])
    found = []
    for alarm in _store(ctx).all():
        if alarm["Kind"] != "Metric" or alarm.get("MetricName") != params["MetricName"]:
            continue
        if alarm.get("Namespace") != params["Namespace"]:
            continue
        if params.get("Dimensions") is not None and dims != sorted(
            (d["Name"], d["Value"]) for d in alarm.get("Dimensions", [])
        ):
            continue
        for key in ("Statistic", "ExtendedStatistic", "Period", "Unit"):
            if params.get(key) is not None and alarm.get(key) != params[key]:
                break
        else:
            found.append(_render(alarm))
    return {"MetricAlarms": found}


def delete_alarms(ctx: CloudWatchContext, params: Params) -> Params:
    names = params.get("AlarmNames") or []
    store = _store(ctx)
    missing = [n for n in names if store.get(n) is None]
    if missing:
        raise errors.not_found(f"Alarm(s) not found: {', '.join(missing)}")
    for name in names:
        store.delete(name)
        store.record(
            name,
            ctx.now(),
            "ConfigurationUpdate",
            f'Alarm "{name}" deleted',
            {"version": "1.0", "type": "Delete"},
        )
    return {}


def set_alarm_state(ctx: CloudWatchContext, params: Params) -> Params:
    name = _name(params)
    value = params.get("StateValue")
    if value not in STATES:
        raise errors.invalid(f"The value {value} for parameter StateValue is not valid.")
    reason = params.get("StateReason")
    if not isinstance(reason, str):
        raise errors.missing("StateReason")
    data = None
    if params.get("StateReasonData"):
        try:
            data = json.loads(params["StateReasonData"])
        except ValueError:
            raise errors.invalid("StateReasonData is not valid JSON.") from None
    alarm = _store(ctx).get(name)
    if alarm is None:
        raise errors.not_found(f"Alarm {name} not found")
    change = set_state(_store(ctx), alarm, str(value), reason, data, ctx.now())
    if change is not None:
        ctx.notify([change])
    return {}


def describe_alarm_history(ctx: CloudWatchContext, params: Params) -> Params:
    name = params.get("AlarmName")
    kind = params.get("HistoryItemType")
    start, end = params.get("StartDate"), params.get("EndDate")
    items = []
    for alarm_name, ts, item_kind, summary, data in _store(ctx).history(name, kind):
        if start is not None and ts < float(start):
            continue
        if end is not None and ts > float(end):
            continue
        items.append(
            {
                "AlarmName": alarm_name,
                "AlarmType": "MetricAlarm",
                "Timestamp": ts,
                "HistoryItemType": item_kind,
                "HistorySummary": summary,
                "HistoryData": data,
            }
        )
    if params.get("ScanBy") == "TimestampAscending":
        items.reverse()
    limit = params.get("MaxRecords")
    if isinstance(limit, int) and limit > 0:
        items = items[:limit]
    return {"AlarmHistoryItems": items}


def _actions(ctx: CloudWatchContext, params: Params, enabled: bool) -> Params:
    store = _store(ctx)
    for name in params.get("AlarmNames") or []:
        alarm = store.get(name)
        if alarm is not None:
            alarm["ActionsEnabled"] = enabled
            store.put(alarm)
    return {}


def enable_alarm_actions(ctx: CloudWatchContext, params: Params) -> Params:
    return _actions(ctx, params, True)


def disable_alarm_actions(ctx: CloudWatchContext, params: Params) -> Params:
    return _actions(ctx, params, False)


OPERATIONS = {
    "PutMetricAlarm": put_metric_alarm,
    "PutCompositeAlarm": put_composite_alarm,
    "DescribeAlarms": describe_alarms,
    "DescribeAlarmsForMetric": describe_alarms_for_metric,
    "DeleteAlarms": delete_alarms,
    "SetAlarmState": set_alarm_state,
    "DescribeAlarmHistory": describe_alarm_history,
    "EnableAlarmActions": enable_alarm_actions,
    "DisableAlarmActions": disable_alarm_actions,
}

__all__ = ["OPERATIONS", "Change"]
