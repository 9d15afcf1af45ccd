"""CloudWatch alarms: stored durably, evaluated every minute of serverlite's clock,
with AWS's state reasons, history, and the notifications AWS sends.

A metric alarm looks at its last ``EvaluationPeriods`` complete periods (a single
metric and statistic, or metric math ``Metrics``), compares each value with the
threshold, and goes to ALARM when at least ``DatapointsToAlarm`` of them breach
(M out of N). Periods without data follow ``TreatMissingData``: ``missing`` (the
default) leaves them out and goes to INSUFFICIENT_DATA when none has data,
``ignore`` keeps the current state when none has data, ``breaching`` and
``notBreaching`` count them as that. A composite alarm's ``AlarmRule`` is evaluated
after the metric alarms, on their new states.

On a change of state (and only then), the history gets a StateUpdate entry and, if
actions are enabled, the state's actions run: an SNS topic gets AWS's alarm
notification JSON (subject ``ALARM: "name" in US East (N. Virginia)``), a Lambda
function the alarm event payload, and the default event bus always gets the
``aws.cloudwatch`` "CloudWatch Alarm State Change" event.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from serverlite import state
from serverlite.observe import statistics
from serverlite.observe.metric_math import Grid, MathError, TimeSeries, evaluate
from serverlite.observe.metrics import MetricStore

from .alarm_rule import RuleError, parse

Params = dict[str, Any]

OPERATORS: dict[str, tuple[str, Callable[[float, float], bool]]] = {
    "GreaterThanOrEqualToThreshold": ("greater than or equal to", lambda v, t: v >= t),
    "GreaterThanThreshold": ("greater than", lambda v, t: v > t),
    "LessThanThreshold": ("less than", lambda v, t: v < t),
    "LessThanOrEqualToThreshold": ("less than or equal to", lambda v, t: v <= t),
}
MISSING = ("missing", "ignore", "breaching", "notBreaching")
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}
HISTORY_DAYS = 14  # AWS keeps alarm history for two weeks


def iso(stamp: float, millis: bool = True) -> str:
    text = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return text + (".000+0000" if millis else "")


def short(stamp: float) -> str:
    """How StateReason writes a datapoint's time: (07/12/26 14:50:00)."""
    return datetime.fromtimestamp(stamp, UTC).strftime("%d/%m/%y %H:%M:%S")


def number(value: float) -> str:
    return repr(float(value))


@dataclass
class Change:
    """A state change to act on, once the store has it."""

    alarm: Params
    old: str
    old_reason: str
    old_time: float


class AlarmStore:
    """Alarms and their history in ``alarms.db`` (acknowledged writes survive a crash)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = state.connect(path, check_same_thread=False)
        self._snapshot: sqlite3.Connection | None = None
        with self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS alarms (name TEXT PRIMARY KEY, body TEXT NOT NULL)"
            )
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS history (id INTEGER PRIMARY KEY, name TEXT,"
                " ts REAL, kind TEXT, summary TEXT, data TEXT)"
            )

    def all(self) -> list[Params]:
        with self._lock:
            rows = self._conn.execute("SELECT body FROM alarms ORDER BY name").fetchall()
        return [json.loads(r[0]) for r in rows]

    def get(self, name: str) -> Params | None:
        with self._lock:
            row = self._conn.execute("SELECT body FROM alarms WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, alarm: Params) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO alarms (name, body) VALUES (?, ?)",
                (alarm["AlarmName"], json.dumps(alarm)),
            )

    def delete(self, name: str) -> None:
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM alarms WHERE name = ?", (name,))

    def record(self, name: str, ts: float, kind: str, summary: str, data: Params) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO history (name, ts, kind, summary, data) VALUES (?, ?, ?, ?, ?)",
                (name, ts, kind, summary, json.dumps(data)),
            )
            self._conn.execute("DELETE FROM history WHERE ts < ?", (ts - HISTORY_DAYS * 86400,))

    def history(self, name: str | None, kind: str | None) -> list[tuple[str, float, str, str, str]]:
        query, args = "SELECT name, ts, kind, summary, data FROM history WHERE 1", []
        if name:
            query += " AND name = ?"
            args.append(name)
        if kind:
            query += " AND kind = ?"
            args.append(kind)
        with self._lock:
            rows = self._conn.execute(query + " ORDER BY ts DESC, id DESC", args).fetchall()
        return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    def snapshot(self) -> None:
        with self._lock:
            self._snapshot = state.copy_of(self._conn)

    def restore(self) -> None:
        """The alarms as ``snapshot`` found them (the template's, in their first state)."""
        with self._lock:
            if self._snapshot is not None:
                self._snapshot.backup(self._conn)

    def close(self) -> None:
        self._conn.close()
        if self._snapshot is not None:
            self._snapshot.close()


def set_state(
    store: AlarmStore, alarm: Params, value: str, reason: str, data: Params | None, now: float
) -> Change | None:
    """Move ``alarm`` to ``value`` and record it; a Change when the state changed."""
    old, old_reason, old_time = (
        alarm["StateValue"],
        alarm.get("StateReason", ""),
        alarm.get("StateUpdatedTimestamp", now),
    )
    if old == value:
        return None
    alarm["StateValue"] = value
    alarm["StateReason"] = reason
    if data is not None:
        alarm["StateReasonData"] = json.dumps(data)
    else:
        alarm.pop("StateReasonData", None)
    alarm["StateUpdatedTimestamp"] = now
    alarm["StateTransitionedTimestamp"] = now
    store.put(alarm)
    store.record(
        alarm["AlarmName"],
        now,
        "StateUpdate",
        f"Alarm updated from {old} to {value}",
        {
            "version": "1.0",
            "oldState": {"stateValue": old, "stateReason": old_reason},
            "newState": {
                "stateValue": value,
                "stateReason": reason,
                **({"stateReasonData": data} if data is not None else {}),
            },
        },
    )
    return Change(alarm, old, old_reason, old_time)


# -- evaluation ----------------------------------------------------------------------


def _values(metrics: MetricStore, alarm: Params, start: float, end: float) -> dict[int, float]:
    """The alarm's value for each period in [start, end) that has one."""
    period = int(alarm.get("Period") or 60)
    if alarm.get("Metrics"):
        return _math_values(metrics, alarm["Metrics"], start, end)
    dims = tuple(sorted((d["Name"], d["Value"]) for d in alarm.get("Dimensions") or []))
    found = metrics.find(alarm["Namespace"], alarm["MetricName"], dims)
    buckets = metrics.datapoints([found.id] if found else [], start, end, period)
    stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic") or "Average"
    unit = alarm.get("Unit")
    return {
        t: v
        for t, agg in buckets.items()
        if (unit is None or agg.unit == unit) and (v := statistics.value(agg, stat)) is not None
    }


def _math_values(
    metrics: MetricStore, queries: list[Params], start: float, end: float
) -> dict[int, float]:
    series: dict[str, TimeSeries] = {}
    periods: dict[str, int] = {}
    for query in queries:
        stat = query.get("MetricStat")
        if not stat:
            continue
        metric = stat["Metric"]
        dims = tuple(sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions") or []))
        found = metrics.find(metric["Namespace"], metric["MetricName"], dims)
        period = int(stat.get("Period") or 60)
        buckets = metrics.datapoints([found.id] if found else [], start, end, period)
        series[query["Id"]] = TimeSeries(
            {
                t: v
                for t, agg in buckets.items()
                if (v := statistics.value(agg, str(stat["Stat"]))) is not None
            }
        )
        periods[query["Id"]] = period
    result: TimeSeries | None = None
    for query in queries:
        if query.get("Expression"):
            period = int(query.get("Period") or min(periods.values(), default=60))
            try:
                value = evaluate(
                    query["Expression"],
                    series,
                    Grid(int(start), int(end), period),
                    metric_ids=frozenset(periods),
                )
            except MathError:
                value = TimeSeries({})
            if isinstance(value, list):
                value = value[0] if value else TimeSeries({})
            if isinstance(value, float):
                value = TimeSeries(
                    dict.fromkeys(Grid(int(start), int(end), period).timestamps(), value)
                )
            series[query["Id"]] = value
        if query.get("ReturnData", True) is not False:
            result = series.get(query["Id"])
    if result is None:
        return {}
    return {t: v for t, v in result.points.items() if not math.isnan(v)}


def evaluate_metric_alarm(
    metrics: MetricStore, alarm: Params, now: float, current: bool = False
) -> tuple[str, str, Params] | None:
    """(state, StateReason, StateReasonData) from the last N complete periods; None
    to keep the current state (TreatMissingData ignore, with no data)."""
    period = int(alarm.get("Period") or 60)
    if alarm.get("Metrics"):
        period = min(
            (
                int(q["MetricStat"].get("Period") or 60)
                for q in alarm["Metrics"]
                if q.get("MetricStat")
            ),
            default=60,
        )
    n = int(alarm["EvaluationPeriods"])
    m = int(alarm.get("DatapointsToAlarm") or n)
    end = int(now) - int(now) % period + (period if current else 0)
    start = end - n * period
    values = _values(metrics, alarm, start, end)
    stamps = [start + k * period for k in range(n)]
    threshold = float(alarm.get("Threshold", 0.0))
    words, breaches = OPERATORS[alarm["ComparisonOperator"]]
    treat = alarm.get("TreatMissingData") or "missing"
    present = [(t, values[t]) for t in stamps if t in values]
    breaching = sum(1 for _, v in present if breaches(v, threshold))
    missing = n - len(present)
    if treat == "breaching":
        breaching += missing
    stat = alarm.get("Statistic") or alarm.get("ExtendedStatistic") or ""
    recent = [v for _, v in sorted(present, reverse=True)]
    data: Params = {
        "version": "1.0",
        "queryDate": iso(now),
        "startDate": iso(start),
        **({"statistic": stat} if stat else {}),
        **({"unit": alarm["Unit"]} if alarm.get("Unit") else {}),
        "period": period,
        "recentDatapoints": recent,
        "threshold": threshold,
        "evaluatedDatapoints": [
            {"timestamp": iso(t), **({"sampleCount": 1.0} if stat else {}), "value": v}
            for t, v in sorted(present, reverse=True)
        ],
    }
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return None
        reason = f"Insufficient Data: {n} datapoint{'s' if n != 1 else ''} were unknown."
        return "INSUFFICIENT_DATA", reason, data
    value = "ALARM" if breaching >= m else "OK"
    shown = ", ".join(f"{number(v)} ({short(t)})" for t, v in sorted(present, reverse=True))
    verb = "was" if breaching == 1 else "were"
    if value == "ALARM":
        reason = (
            f"Threshold Crossed: {breaching} out of the last {n} datapoints [{shown}] {verb} "
            f"{words} the threshold ({number(threshold)}) (minimum {m} datapoint"
            f"{'s' if m != 1 else ''} for OK -> ALARM transition)."
        )
    else:
        held = len(present) - breaching + (missing if treat == "notBreaching" else 0)
        verb = "was" if held == 1 else "were"
        reason = (
            f"Threshold Crossed: {held} out of the last {n} datapoints [{shown}] {verb} not "
            f"{words} the threshold ({number(threshold)}) (minimum 1 datapoint for ALARM -> "
            "OK transition)."
        )
    return value, reason, data


def evaluate_composite(alarm: Params, state_of: Callable[[str], str | None]) -> tuple[str, str]:
    try:
        rule = parse(alarm["AlarmRule"])
    except RuleError:
        return alarm["StateValue"], alarm.get("StateReason", "")
    if rule.holds(state_of):
        return "ALARM", "arn:aws:cloudwatch: AlarmRule evaluated to TRUE"
    return "OK", "arn:aws:cloudwatch: AlarmRule evaluated to FALSE"


def tick(
    store: AlarmStore, metrics: MetricStore | None, now: float, current: bool = False
) -> list[Change]:
    """Evaluate every alarm once; the changes to act on. ``current``: count the period
    in progress as the last one (under --time-scale, where minutes are not waited for)."""
    changes: list[Change] = []
    alarms = store.all()
    states = {a["AlarmName"]: a for a in alarms}
    for alarm in alarms:
        if alarm.get("Kind") == "Composite" or metrics is None:
            continue
        outcome = evaluate_metric_alarm(metrics, alarm, now, current)
        if outcome is None:
            continue
        change = set_state(store, alarm, outcome[0], outcome[1], outcome[2], now)
        if change is not None:
            changes.append(change)
    for alarm in alarms:
        if alarm.get("Kind") != "Composite":
            continue
        value, reason = evaluate_composite(
            alarm, lambda name: states[name]["StateValue"] if name in states else None
        )
        change = set_state(store, alarm, value, reason, None, now)
        if change is not None:
            changes.append(change)
    return changes


# -- what AWS sends --------------------------------------------------------------------


def region_name(region: str) -> str:
    return REGION_NAMES.get(region, region)


def sns_subject(alarm: Params, region: str) -> str:
    return f'{alarm["StateValue"]}: "{alarm["AlarmName"]}" in {region_name(region)}'[:100]


def sns_message(change: Change, account: str, region: str) -> str:
    """The JSON message AWS publishes to an alarm's SNS topic."""
    alarm = change.alarm
    message: Params = {
        "AlarmName": alarm["AlarmName"],
        "AlarmDescription": alarm.get("AlarmDescription"),
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": iso(alarm["AlarmConfigurationUpdatedTimestamp"]),
        "NewStateValue": alarm["StateValue"],
        "NewStateReason": alarm["StateReason"],
        "StateChangeTime": iso(alarm["StateUpdatedTimestamp"]),
        "Region": region_name(region),
        "AlarmArn": alarm["AlarmArn"],
        "OldStateValue": change.old,
        "OKActions": alarm.get("OKActions", []),
        "AlarmActions": alarm.get("AlarmActions", []),
        "InsufficientDataActions": alarm.get("InsufficientDataActions", []),
    }
    if alarm.get("Kind") == "Composite":
        message["AlarmRule"] = alarm["AlarmRule"]
        return json.dumps(message)
    trigger: Params = {
        "Period": alarm.get("Period"),
        "EvaluationPeriods": alarm["EvaluationPeriods"],
        "DatapointsToAlarm": alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"],
        "ComparisonOperator": alarm["ComparisonOperator"],
        "Threshold": alarm.get("Threshold"),
        "TreatMissingData": alarm.get("TreatMissingData") or "missing",
        "EvaluateLowSampleCountPercentile": alarm.get("EvaluateLowSampleCountPercentile", ""),
    }
    if alarm.get("Metrics"):
        trigger["Metrics"] = [_lower(q) for q in alarm["Metrics"]]
    else:
        trigger.update(
            {
                "MetricName": alarm["MetricName"],
                "Namespace": alarm["Namespace"],
                "StatisticType": "ExtendedStatistic"
                if alarm.get("ExtendedStatistic")
                else "Statistic",
                "Statistic": (
                    alarm.get("Statistic") or alarm.get("ExtendedStatistic") or ""
                ).upper()
                if alarm.get("Statistic")
                else alarm.get("ExtendedStatistic"),
                "Unit": alarm.get("Unit"),
                "Dimensions": [
                    {"value": d["Value"], "name": d["Name"]} for d in alarm.get("Dimensions") or []
                ],
            }
        )
    message["Trigger"] = trigger
    return json.dumps(message)


def _lower(query: Params) -> Params:
    """Metrics[] as the notification spells them (lower camel case keys)."""
    out: Params = {}
    for key, value in query.items():
        name = key[0].lower() + key[1:]
        if isinstance(value, dict):
            out[name] = _lower(value)
        elif isinstance(value, list):
            out[name] = [_lower(v) if isinstance(v, dict) else v for v in value]
        else:
            out[name] = value
    return out


def alarm_data(change: Change) -> Params:
    """The alarm as the EventBridge event's detail and the Lambda payload's alarmData."""
    alarm = change.alarm
    current: Params = {
        "value": alarm["StateValue"],
        "reason": alarm["StateReason"],
        "timestamp": iso(alarm["StateUpdatedTimestamp"]),
    }
    if alarm.get("StateReasonData"):
        current["reasonData"] = alarm["StateReasonData"]
    configuration: Params = {"description": alarm.get("AlarmDescription", "")}
    if alarm.get("Kind") == "Composite":
        configuration["alarmRule"] = alarm["AlarmRule"]
    elif alarm.get("Metrics"):
        configuration["metrics"] = [_lower(q) for q in alarm["Metrics"]]
    else:
        configuration["metrics"] = [
            {
                "id": "m1",
                "metricStat": {
                    "metric": {
                        "namespace": alarm["Namespace"],
                        "name": alarm["MetricName"],
                        "dimensions": {
                            d["Name"]: d["Value"] for d in alarm.get("Dimensions") or []
                        },
                    },
                    "period": alarm.get("Period"),
                    "stat": alarm.get("Statistic") or alarm.get("ExtendedStatistic"),
                },
                "returnData": True,
            }
        ]
    return {
        "alarmName": alarm["AlarmName"],
        "state": current,
        "previousState": {
            "value": change.old,
            "reason": change.old_reason,
            "timestamp": iso(change.old_time),
        },
        "configuration": configuration,
    }


def lambda_event(change: Change, account: str, region: str) -> Params:
    """The payload a Lambda alarm action receives."""
    return {
        "source": "aws.cloudwatch",
        "alarmArn": change.alarm["AlarmArn"],
        "accountId": account,
        "time": iso(change.alarm["StateUpdatedTimestamp"]),
        "region": region,
        "alarmData": alarm_data(change),
    }


def actions_for(alarm: Params) -> list[str]:
    if not alarm.get("ActionsEnabled", True):
        return []
    key = {
        "ALARM": "AlarmActions",
        "OK": "OKActions",
        "INSUFFICIENT_DATA": "InsufficientDataActions",
    }[alarm["StateValue"]]
    return list(alarm.get(key) or [])
