"""Events: buses and their rules, a pattern tester (EventBridge's TestEventPattern, the
same matcher rules use), archives and replays, and schedules with their next fire time."""

from __future__ import annotations

import json
import time
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, pre, table

SAMPLE_EVENT = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "OrderPlaced",
    "source": "orders",
    "account": "123456789012",
    "time": "2026-01-01T00:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"total": 42},
}


def _next_fire(ctx: ConsoleContext, key: str) -> str:
    """When the service's own schedule book fires ``key`` next ("rule:<bus>/<name>" or
    "schedule:<group>/<name>"): what it will do, not a second computation of it."""
    backend = ctx.service("events")
    tick = backend.ticker.book.next_tick(key) if backend is not None else None
    if tick is None:
        return "not scheduled (disabled, or no more firings)"
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(tick))


async def events_page(ctx: ConsoleContext) -> str:
    if not ctx.has("events"):
        return '<p class="muted">EventBridge is not running</p>'
    buses = (await ctx.call("events", "ListEventBuses", {})).get("EventBuses", [])
    sections = []
    for bus in buses:
        rules = (await ctx.call("events", "ListRules", {"EventBusName": bus["Name"]})).get(
            "Rules", []
        )
        rows = []
        for rule in rules:
            expression = rule.get("ScheduleExpression")
            targets = (
                await ctx.call(
                    "events",
                    "ListTargetsByRule",
                    {"Rule": rule["Name"], "EventBusName": bus["Name"]},
                )
            ).get("Targets", [])
            rows.append(
                (
                    esc(rule["Name"]),
                    esc(rule.get("State", "")),
                    pre(json.loads(rule["EventPattern"]))
                    if rule.get("EventPattern")
                    else esc(expression or ""),
                    esc(
                        _next_fire(ctx, f"rule:{bus['Name']}/{rule['Name']}") if expression else ""
                    ),
                    esc(", ".join(t["Arn"].rsplit(":", 1)[-1] for t in targets)),
                )
            )
        sections.append(
            f"<h3>Bus {esc(bus['Name'])}</h3>"
            + table(
                ("Rule", "State", "Pattern or schedule", "Next fire (UTC)", "Targets"),
                rows,
                "no rules",
            )
        )
    archives = (await ctx.call("events", "ListArchives", {})).get("Archives", [])
    replays = (await ctx.call("events", "ListReplays", {})).get("Replays", [])
    return (
        "".join(sections) + "<h2>Pattern tester</h2>"
        f'<form hx-post="{esc(href("events/test"))}" hx-target="#pattern-result">'
        '<label>Pattern</label><textarea name="pattern" rows="4">'
        f"{esc(json.dumps({'source': ['orders']}))}</textarea><label>Event</label>"
        f'<textarea name="event" rows="8">{esc(json.dumps(SAMPLE_EVENT, indent=2))}</textarea>'
        '<button type="submit">Test</button></form><div id="pattern-result"></div>'
        "<h2>Archives</h2>"
        + table(
            ("Archive", "State", "Events", "Source"),
            (
                (
                    esc(a["ArchiveName"]),
                    esc(a.get("State", "")),
                    esc(a.get("EventCount", 0)),
                    esc(a.get("EventSourceArn", "")),
                )
                for a in archives
            ),
            "no archives",
        )
        + _replay_form(archives)
        + "<h2>Replays</h2>"
        + table(
            ("Replay", "State", "Archive"),
            (
                (
                    esc(r["ReplayName"]),
                    f'<span class="replay-state">{esc(r.get("State", ""))}</span>',
                    esc(r.get("EventSourceArn", "").rsplit("/", 1)[-1]),
                )
                for r in replays
            ),
            "no replays",
        )
        + "<h2>Schedules (EventBridge Scheduler)</h2>"
        + _schedules(ctx)
    )


def _replay_form(archives: list[dict[str, Any]]) -> str:
    if not archives:
        return ""
    options = "".join(
        f'<option value="{esc(a["ArchiveName"])}">{esc(a["ArchiveName"])}</option>'
        for a in archives
    )
    return (
        f'<form hx-post="{esc(href("events/replay"))}" hx-target="#replay-result">'
        f'<label>Replay archive <select name="archive">{options}</select></label> '
        '<label>of the last <input name="minutes" value="60" size="4"> minutes</label> '
        '<button type="submit">Start replay</button></form><div id="replay-result"></div>'
    )


def _schedules(ctx: ConsoleContext) -> str:
    backend = ctx.service("events")
    if backend is None:
        return ""
    rows = []
    for schedule in backend.ctx.db.schedules():
        spec = schedule.spec
        expression = str(spec.get("ScheduleExpression", ""))
        rows.append(
            (
                esc(f"{schedule.group}/{schedule.name}"),
                esc(expression),
                esc(spec.get("State", "ENABLED")),
                esc(_next_fire(ctx, f"schedule:{schedule.group}/{schedule.name}")),
            )
        )
    return table(("Schedule", "Expression", "State", "Next fire (UTC)"), rows, "no schedules")


async def test_pattern(ctx: ConsoleContext, pattern: str, event: str) -> str:
    try:
        answer = await ctx.call(
            "events", "TestEventPattern", {"EventPattern": pattern, "Event": event}
        )
    except AwsError as exc:
        return f'<p class="err" id="pattern-answer">{esc(exc.code)}: {esc(exc.message)}</p>'
    matched = bool(answer.get("Result"))
    cls = "ok" if matched else "err"
    return f'<p class="{cls}" id="pattern-answer">{"matches" if matched else "no match"}</p>'


async def replay(ctx: ConsoleContext, archive: str, minutes: float) -> str:
    try:
        desc = await ctx.call("events", "DescribeArchive", {"ArchiveName": archive})
        now = time.time()
        name = f"console-{int(now)}"
        started = await ctx.call(
            "events",
            "StartReplay",
            {
                "ReplayName": name,
                "EventSourceArn": desc["ArchiveArn"],
                "EventStartTime": now - minutes * 60,
                "EventEndTime": now,
                "Destination": {"Arn": desc["EventSourceArn"]},
            },
        )
    except AwsError as exc:
        return f'<p class="err">{esc(exc.code)}: {esc(exc.message)}</p>'
    return f'<p class="ok">replay {esc(name)}: {esc(started.get("State", ""))}</p>'
