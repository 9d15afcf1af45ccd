"""Schedules on `serverlite up --time-scale 60`: rate(1 minute) fires every second.

The fixture template has a SAM Schedule event (a scheduled rule: "Scheduled Event"
envelopes) and a ScheduleV2 event (an EventBridge Scheduler schedule: its Input with
context attributes), plus a disabled cron schedule that must never fire.
"""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.integration.conftest import Server
from tests.integration.events.conftest import client, marker, received, wait_for

pytestmark = pytest.mark.integration
ACCOUNT = "123456789012"
RULE_ARN = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/TickerEveryMinute"


def scheduled(markers):
    return [e for e in received(markers) if e.get("detail-type") == "Scheduled Event"]


def test_scheduled_rule_fires_with_the_scheduled_event_envelope(server, markers):
    # Three ticks of EveryMinute span two minute boundaries, where TickerOff (every
    # minute too) would have fired had it been enabled.
    ticks = wait_for(lambda: len(scheduled(markers)) >= 3 and scheduled(markers), timeout=15)
    event = ticks[0]
    assert event["source"] == "aws.events"
    assert event["resources"] == [RULE_ARN]
    assert event["detail"] == {}
    assert event["version"] == "0"
    assert event["account"] == ACCOUNT
    assert time.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")
    assert {e["resources"][0] for e in ticks} == {RULE_ARN}  # TickerOff never fired


def test_schedule_v2_fires_its_input_with_context_attributes(server, markers):
    def fired():
        return [e for e in received(markers) if str(e.get("id", "")).startswith("v2-")]

    events = wait_for(lambda: len(fired()) >= 2 and fired(), timeout=15)
    assert all(len(e["id"]) == 3 + 16 for e in events)  # v2-<execution id>
    assert all(time.strptime(e["at"], "%Y-%m-%dT%H:%M:%SZ") for e in events)


def test_scheduler_api(server: Server, markers):
    scheduler = client(server, "scheduler")
    name = f"s-{uuid.uuid4().hex[:8]}"
    target = {
        "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:Ticker",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
        "Input": f'{{"id": "{name}-<aws.scheduler.attempt-number>"}}',
    }
    arn = scheduler.create_schedule(
        Name=name,
        ScheduleExpression="rate(1 minute)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
    )["ScheduleArn"]
    assert arn == f"arn:aws:scheduler:us-east-1:{ACCOUNT}:schedule/default/{name}"
    assert marker(markers, f"{name}-1", timeout=15) == {"id": f"{name}-1"}
    got = scheduler.get_schedule(Name=name)
    assert got["ScheduleExpression"] == "rate(1 minute)"
    assert got["State"] == "ENABLED"
    assert got["Target"]["Arn"] == target["Arn"]
    listed = scheduler.list_schedules(NamePrefix=name)["Schedules"]
    assert [s["Name"] for s in listed] == [name]
    with pytest.raises(ClientError) as exists:
        scheduler.create_schedule(
            Name=name,
            ScheduleExpression="rate(1 minute)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target=target,
        )
    assert exists.value.response["Error"]["Code"] == "ConflictException"
    scheduler.update_schedule(
        Name=name,
        ScheduleExpression="rate(1 minute)",
        State="DISABLED",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=target,
    )
    assert scheduler.get_schedule(Name=name)["State"] == "DISABLED"
    scheduler.delete_schedule(Name=name)
    with pytest.raises(ClientError) as gone:
        scheduler.get_schedule(Name=name)
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
    for bad in ("rate(1 minutes)", "cron(0 10 * * * *)", "at(2026-13-01T00:00:00)"):
        with pytest.raises(ClientError) as invalid:
            scheduler.create_schedule(
                Name=name, ScheduleExpression=bad, FlexibleTimeWindow={"Mode": "OFF"}, Target=target
            )
        assert invalid.value.response["Error"]["Code"] == "ValidationException"


def calls(markers, marker_id: str) -> int:
    """How many times the Ticker function ran for ``marker_id`` (its .calls lines)."""
    try:
        return len((markers / f"{marker_id}.calls").read_text().splitlines())
    except OSError:
        return 0


def test_one_time_schedules_fire_once(server: Server, markers):
    scheduler = client(server, "scheduler")
    run = uuid.uuid4().hex[:8]
    deleted, kept, every = f"once-{run}", f"kept-{run}", f"every-{run}"
    when = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() - 5))  # already due
    for name, expression, after in (
        (deleted, f"at({when})", "DELETE"),
        (kept, f"at({when})", "NONE"),
        (every, "rate(1 minute)", "NONE"),  # the twin: the same loop, firing repeatedly
    ):
        scheduler.create_schedule(
            Name=name,
            ScheduleExpression=expression,
            FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion=after,
            Target={
                "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:Ticker",
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/scheduler",
                "Input": f'{{"id": "{name}"}}',
            },
        )
    assert marker(markers, deleted) == {"id": deleted}
    assert marker(markers, kept) == {"id": kept}
    # Three (scaled) minutes of the rate schedule firing: a one-time schedule that
    # repeated would have fired again by now.
    wait_for(lambda: calls(markers, every) >= 3, timeout=15)
    assert calls(markers, deleted) == 1
    assert calls(markers, kept) == 1

    def gone() -> bool:
        try:
            scheduler.get_schedule(Name=deleted)
        except ClientError as error:
            return bool(error.response["Error"]["Code"] == "ResourceNotFoundException")
        return False

    wait_for(gone)
    assert scheduler.get_schedule(Name=kept)["ScheduleExpression"] == f"at({when})"
    scheduler.delete_schedule(Name=kept)
    scheduler.delete_schedule(Name=every)
