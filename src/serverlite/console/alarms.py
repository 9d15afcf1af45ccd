"""Alarms: every CloudWatch alarm (DescribeAlarms, metric and composite) with its state
and its state history (DescribeAlarmHistory, HistoryItemType StateUpdate, newest first),
read through the in-process client as boto3 would."""

from __future__ import annotations

from typing import Any

from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, table, when

HISTORY = 10  # state changes shown per alarm
PAGES = 20  # DescribeAlarms pages of 100 followed at most (bounded, 2,000 alarms)


async def alarm_list(ctx: ConsoleContext) -> str:
    if not ctx.has("cloudwatch"):
        return '<p class="muted">CloudWatch is not running</p>'
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"MaxRecords": 100}
    for _ in range(PAGES):
        page = await ctx.call("cloudwatch", "DescribeAlarms", params)
        found += [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]
        if not page.get("NextToken"):
            break
        params = {**params, "NextToken": page["NextToken"]}
    rows = []
    for alarm in sorted(found, key=lambda a: str(a["AlarmName"])):
        name = str(alarm["AlarmName"])
        state = str(alarm.get("StateValue", ""))
        history = await ctx.call(
            "cloudwatch",
            "DescribeAlarmHistory",
            {"AlarmName": name, "HistoryItemType": "StateUpdate", "MaxRecords": HISTORY},
        )
        changes = "".join(
            f"<li>{esc(when(_epoch(h.get('Timestamp'))))} {esc(h.get('HistorySummary', ''))}</li>"
            for h in history.get("AlarmHistoryItems", [])
        )
        rows.append(
            (
                f'<span class="alarm-name">{esc(name)}</span>',
                f'<span class="alarm-state {_colour(state)}">{esc(state)}</span>',
                esc(alarm.get("StateReason", "")),
                f'<ul class="alarm-history">{changes or "<li>no state changes</li>"}</ul>',
            )
        )
    return table(("Alarm", "State", "Reason", "State history (newest first)"), rows, "no alarms")


def _colour(state: str) -> str:
    return {"ALARM": "err", "OK": "ok"}.get(state, "muted")


def _epoch(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) else None
