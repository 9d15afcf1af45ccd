"""Alarm evaluation as CloudWatch does it: M out of N breaching periods, the four
TreatMissingData modes, AWS's StateReason wording, and composite AlarmRules."""

from types import SimpleNamespace

import pytest

from serverlite.aws.cloudwatch.alarm_rule import RuleError, parse
from serverlite.aws.cloudwatch.alarms import evaluate_metric_alarm
from serverlite.observe.metrics import Aggregate

NOW = 1_800_000_030.0  # 30 s into a minute
MINUTE = 1_800_000_000


class Store:
    """The metric store's two reads an alarm makes, over fixed per-minute sums."""

    def __init__(self, sums: dict[int, float]) -> None:
        self.sums = sums

    def find(self, namespace, name, dims):
        return SimpleNamespace(id=1)

    def datapoints(self, ids, start, end, period):
        out = {}
        for t, v in self.sums.items():
            if start <= t < end:
                agg = Aggregate(unit="Count")
                agg.add(v)
                out[t] = agg
        return out


def _alarm(n: int = 3, m: int | None = None, treat: str = "missing") -> dict:
    alarm = {
        "AlarmName": "a",
        "Namespace": "AWS/DynamoDB",
        "MetricName": "ReadThrottleEvents",
        "Dimensions": [],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": n,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": treat,
    }
    if m is not None:
        alarm["DatapointsToAlarm"] = m
    return alarm


def _minutes_back(*values: float | None) -> dict[int, float]:
    """values for the last complete minutes, most recent first (None: no data)."""
    return {MINUTE - 60 * (k + 1): v for k, v in enumerate(values) if v is not None}


def test_m_out_of_n_breaching_periods_alarm_with_awss_reason():
    store = Store(_minutes_back(2.0, 0.0, 5.0))
    state, reason, data = evaluate_metric_alarm(store, _alarm(3, 2), NOW)
    assert state == "ALARM"
    assert reason.startswith("Threshold Crossed: 2 out of the last 3 datapoints [2.0 (")
    assert "greater than or equal to the threshold (1.0)" in reason
    assert "(minimum 2 datapoints for OK -> ALARM transition)." in reason
    assert data["recentDatapoints"] == [2.0, 0.0, 5.0] and data["period"] == 60
    state, _, _ = evaluate_metric_alarm(store, _alarm(3, 3), NOW)
    assert state == "OK"


@pytest.mark.parametrize(
    ("treat", "expected"),
    [
        ("missing", "INSUFFICIENT_DATA"),
        ("ignore", None),
        ("breaching", "ALARM"),
        ("notBreaching", "OK"),
    ],
)
def test_treat_missing_data_with_no_data_at_all(treat, expected):
    outcome = evaluate_metric_alarm(Store({}), _alarm(2, treat=treat), NOW)
    assert (outcome[0] if outcome else None) == expected


def test_missing_periods_count_as_breaching_only_when_told():
    store = Store(_minutes_back(3.0, None, None))
    assert evaluate_metric_alarm(store, _alarm(3, 2), NOW)[0] == "OK"
    assert evaluate_metric_alarm(store, _alarm(3, 2, "breaching"), NOW)[0] == "ALARM"


def test_the_minute_in_progress_counts_only_when_asked():
    store = Store({MINUTE: 4.0})
    assert evaluate_metric_alarm(store, _alarm(1, treat="notBreaching"), NOW)[0] == "OK"
    assert evaluate_metric_alarm(store, _alarm(1), NOW, current=True)[0] == "ALARM"


def test_composite_rules():
    states = {"a": "ALARM", "b": "OK", "c": "INSUFFICIENT_DATA"}
    rule = parse('ALARM("a") AND (OK(b) OR NOT INSUFFICIENT_DATA(c))')
    assert rule.holds(states.get) and rule.alarms() == {"a", "b", "c"}
    assert not parse("ALARM(a) AND ALARM(b)").holds(states.get)
    assert parse("NOT ALARM(b) OR FALSE").holds(states.get)
    assert parse("ALARM(arn:aws:cloudwatch:us-east-1:1:alarm:a)").holds(states.get)
    with pytest.raises(RuleError):
        parse("ALARM(a) AND")
