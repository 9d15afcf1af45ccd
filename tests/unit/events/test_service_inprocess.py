"""EventBridge's parts wired in-process on an in-memory store, with a fake clock:
PutEvents, routing and envelopes, retries and DLQs, scheduled events, archives
and replays."""

import asyncio
import json
import time
from pathlib import Path

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.events import ops_archives, ops_buses, ops_events, ops_rules
from serverlite.aws.events.clock import Clock
from serverlite.aws.events.context import EventsContext
from serverlite.aws.events.delivery import TargetWorker, backoff
from serverlite.aws.events.names import Arns
from serverlite.aws.events.router import RuleRouter
from serverlite.aws.events.store import EventsDb
from serverlite.aws.events.ticker import Ticker
from serverlite.sending import DELIVERED, Outcome
from tests.aws_samples import aws_sample

T0 = 1_800_000_000.0
FN = "arn:aws:lambda:us-east-1:123456789012:function:fn"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"


class FakeTime:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


class World:
    def __init__(self):
        self.time = FakeTime()
        self.arns = Arns("us-east-1", "123456789012")
        self.db = EventsDb(Path(":memory:"))
        self.router = RuleRouter(self.db, self.arns)
        self.ticker = Ticker(self.db, self.router, self.arns, Clock(self.time))
        self.ctx = EventsContext(
            self.db, self.router, self.arns, self.time, schedules_changed=self.ticker.changed
        )

    def rule(self, name, pattern=None, schedule=None, targets=(), bus=None):
        body = {"Name": name}
        if pattern is not None:
            body["EventPattern"] = json.dumps(pattern)
        if schedule is not None:
            body["ScheduleExpression"] = schedule
        if bus:
            body["EventBusName"] = bus
        ops_rules.put_rule(self.ctx, body)
        if targets:
            ops_rules.put_targets(
                self.ctx, {"Rule": name, "EventBusName": bus, "Targets": list(targets)}
            )

    def put(self, **entry):
        entry.setdefault("Source", "shop")
        entry.setdefault("DetailType", "OrderPlaced")
        entry.setdefault("Detail", "{}")
        return ops_events.put_events(self.ctx, {"Entries": [entry]})["Entries"][0]

    def pending(self):
        return self.db.due(float("inf"), 1000, set())


@pytest.fixture
def world():
    return World()


# -- PutEvents --------------------------------------------------------------------------


def test_put_events_answers_each_entry_in_order(world):
    result = ops_events.put_events(
        world.ctx,
        {
            "Entries": [
                {"Source": "shop", "DetailType": "t", "Detail": '{"a": 1}'},
                {"Source": "shop", "DetailType": "t"},
                {"DetailType": "t", "Detail": "{}"},
                {"Source": "shop", "Detail": "{}"},
                {"Source": "shop", "DetailType": "t", "Detail": "[1, 2]"},
                {"Source": "shop", "DetailType": "t", "Detail": "{nope"},
                {"Source": "aws.s3", "DetailType": "t", "Detail": "{}"},
                {"Source": "shop", "DetailType": "t", "Detail": "{}", "EventBusName": "nope"},
                {"Source": "shop", "DetailType": "t", "Detail": "{}", "Time": T0},
            ]
        },
    )
    entries = result["Entries"]
    assert result["FailedEntryCount"] == 7
    assert "EventId" in entries[0] and "EventId" in entries[8]
    assert entries[1] == {
        "ErrorCode": "InvalidArgument",
        "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument.",
    }
    assert entries[2]["ErrorMessage"] == (
        "Parameter Source is not valid. Reason: Source is a required argument."
    )
    assert entries[3]["ErrorMessage"] == (
        "Parameter DetailType is not valid. Reason: DetailType is a required argument."
    )
    assert entries[4] == {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
    assert entries[5]["ErrorCode"] == "MalformedDetail"
    assert entries[6]["ErrorCode"] == "NotAuthorizedForSourceException"
    assert entries[7]["ErrorCode"] == "ResourceNotFoundException"


def test_put_events_limits(world):
    entry = {"Source": "shop", "DetailType": "t", "Detail": "{}"}
    with pytest.raises(AwsError) as too_many:
        ops_events.put_events(world.ctx, {"Entries": [entry] * 11})
    assert too_many.value.code == "ValidationException"
    assert "less than or equal to 10" in too_many.value.message
    big = {"Source": "shop", "DetailType": "t", "Detail": json.dumps({"x": "y" * 200_000})}
    with pytest.raises(AwsError) as too_big:
        ops_events.put_events(world.ctx, {"Entries": [big, big]})
    assert too_big.value.message == "Total size of the entries in the request is over the limit."
    assert "EventId" in ops_events.put_events(world.ctx, {"Entries": [big]})["Entries"][0]


def test_the_envelope_is_awss(world):
    world.rule("r", {"source": ["shop"]}, targets=[{"Id": "t", "Arn": FN}])
    detail = '{ "price": 3.0e2,\n  "items": [1, 2] , "note": "a  b" }'
    event_id = world.put(Detail=detail, Resources=["arn:x"], Time=T0)["EventId"]
    (delivery,) = world.pending()
    event = json.loads(delivery.payload)
    sample = aws_sample("eventBridgeEvent.json")
    assert list(event) == [k for k in sample if k != "replay-name"]  # AWS's fields, in order
    assert event["id"] == event_id
    assert event["version"] == "0"
    assert event["source"] == "shop" and event["detail-type"] == "OrderPlaced"
    assert event["account"] == "123456789012" and event["region"] == "us-east-1"
    assert event["time"] == "2027-01-15T08:00:00Z"
    assert event["resources"] == ["arn:x"]
    # the detail is the sender's JSON, minified: numbers keep their spelling
    assert '"detail":{"price":3.0e2,"items":[1,2],"note":"a  b"}' in delivery.payload
    assert delivery.target["arn"] == FN
    assert delivery.target["retry"] == [185, 86400]  # AWS's default retry policy


def test_routing_follows_patterns_state_and_buses(world):
    ops_buses.create_event_bus(world.ctx, {"Name": "orders"})
    world.rule(
        "cheap", {"detail": {"total": [{"numeric": ["<", 10]}]}}, targets=[{"Id": "a", "Arn": FN}]
    )
    world.rule(
        "dear",
        {"detail": {"total": [{"numeric": [">=", 10]}]}},
        targets=[{"Id": "a", "Arn": FN}, {"Id": "b", "Arn": FN + "2"}],
    )
    world.rule("other-bus", {"source": ["shop"]}, targets=[{"Id": "a", "Arn": FN}], bus="orders")
    world.put(Detail='{"total": 5}')
    assert [d.target["source"].rsplit("/", 1)[1] for d in world.pending()] == ["cheap"]
    world.db.delivered([d.id for d in world.pending()])
    world.put(Detail='{"total": 50}')
    assert len(world.pending()) == 2
    world.db.delivered([d.id for d in world.pending()])
    ops_rules.disable_rule(world.ctx, {"Name": "dear"})
    world.put(Detail='{"total": 50}')
    assert world.pending() == []
    world.put(Detail='{"total": 50}', EventBusName="orders")
    (delivery,) = world.pending()
    assert delivery.target["source"].endswith(":rule/orders/other-bus")


def test_input_transformer_and_input_path_shape_what_targets_get(world):
    world.rule(
        "r",
        {"source": ["shop"]},
        targets=[
            {"Id": "fixed", "Arn": FN, "Input": '{"fixed": true}'},
            {"Id": "path", "Arn": FN, "InputPath": "$.detail.order"},
            {
                "Id": "tpl",
                "Arn": FN,
                "InputTransformer": {
                    "InputPathsMap": {"o": "$.detail.order"},
                    "InputTemplate": '{"order": <o>, "rule": "<aws.events.rule-name>"}',
                },
            },
        ],
    )
    world.put(Detail='{"order": {"id": 7}}')
    payloads = {d.target["id"]: d.payload for d in world.pending()}
    assert payloads == {
        "fixed": '{"fixed": true}',
        "path": '{"id":7}',
        "tpl": '{"order":{"id":7},"rule":"r"}',
    }


# -- delivery, retries, DLQ ---------------------------------------------------------------


class FakeSenders:
    def __init__(self, failures):
        self.failures = list(failures)  # what each attempt returns (None: delivered)
        self.sent = []
        self.dead = []

    async def send(self, target, payload, event):
        self.sent.append(payload)
        outcome = self.failures.pop(0) if self.failures else None
        return outcome or DELIVERED

    async def dead_letter(self, arn, body, attributes):
        self.dead.append((arn, json.loads(body)["id"], attributes))
        return True


THROTTLED = Outcome("retry", "THROTTLING", "Rate Exceeded.")
MISSING = Outcome("failed", "NO_RESOURCE", "Function not found")


def attempt(worker, world, delivery):
    """One attempt, and the worker loop's cleanup of a finished delivery."""
    if asyncio.run(worker.attempt(delivery)):
        world.db.delivered([delivery.id])


def deliver(world, senders, until=60):
    """Run the worker's attempts as the clock moves, as its loop does."""
    worker = TargetWorker(world.db, senders, Clock(world.time))
    for _ in range(until):
        for delivery in world.db.due(world.time.now, 100, set()):
            attempt(worker, world, delivery)
        next_due = world.db.next_due()
        if next_due is None:
            return
        world.time.now = max(world.time.now, next_due)


def target(**extra):
    return {"Id": "t", "Arn": FN, "DeadLetterConfig": {"Arn": DLQ}, **extra}


def test_a_delivery_is_retried_with_backoff_until_it_succeeds(world):
    world.rule("r", {"source": ["shop"]}, targets=[target()])
    world.put()
    senders = FakeSenders([THROTTLED, THROTTLED, THROTTLED, None])
    times = []
    worker = TargetWorker(world.db, senders, Clock(world.time))
    while world.pending():
        (delivery,) = world.db.due(world.time.now, 10, set()) or [None]
        if delivery is None:
            world.time.now = world.db.next_due()
            continue
        times.append(world.time.now - T0)
        attempt(worker, world, delivery)
    assert times == [0, 1, 3, 7]  # 1 s, 2 s, 4 s between attempts
    assert len(senders.sent) == 4 and senders.dead == []
    assert [backoff(n) for n in (1, 2, 3, 10, 20)] == [1, 2, 4, 480, 480]


def test_retries_exhausted_go_to_the_dlq_with_awss_attributes(world):
    world.rule("r", {"source": ["shop"]}, targets=[target(RetryPolicy={"MaximumRetryAttempts": 2})])
    event_id = world.put()["EventId"]
    senders = FakeSenders([THROTTLED] * 10)
    deliver(world, senders)
    assert len(senders.sent) == 3  # the first attempt and two retries
    ((arn, dead_id, attributes),) = senders.dead
    assert (arn, dead_id) == (DLQ, event_id)
    assert attributes == {
        "RULE_ARN": "arn:aws:events:us-east-1:123456789012:rule/r",
        "TARGET_ARN": FN,
        "ERROR_CODE": "THROTTLING",
        "ERROR_MESSAGE": "Rate Exceeded.",
        "RETRY_ATTEMPTS": "2",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
    }
    assert world.pending() == []


def test_a_missing_target_goes_to_the_dlq_without_retries(world):
    world.rule("r", {"source": ["shop"]}, targets=[target()])
    world.put()
    senders = FakeSenders([MISSING])
    deliver(world, senders)
    assert len(senders.sent) == 1
    ((_, _, attributes),) = senders.dead
    assert attributes["ERROR_CODE"] == "NO_RESOURCE"
    assert attributes["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in attributes


def test_maximum_event_age_ends_retries(world):
    world.rule(
        "r", {"source": ["shop"]}, targets=[target(RetryPolicy={"MaximumEventAgeInSeconds": 60})]
    )
    world.put()
    senders = FakeSenders([THROTTLED] * 100)
    deliver(world, senders, until=200)
    assert len(senders.sent) == 6  # at 0, 1, 3, 7, 15, 31 s; the next would be after 60 s
    assert senders.dead[0][2]["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"


def test_without_a_dlq_a_failed_event_is_dropped(world, caplog):
    world.rule("r", {"source": ["shop"]}, targets=[{"Id": "t", "Arn": FN}])
    world.put()
    senders = FakeSenders([MISSING])
    deliver(world, senders)
    assert len(senders.sent) == 1  # it was attempted, then dropped
    assert world.pending() == []
    assert "configure a DeadLetterConfig" in caplog.text


def test_scaled_time_shortens_backoff(world):
    world.rule("r", {"source": ["shop"]}, targets=[target()])
    world.put()
    worker = TargetWorker(world.db, FakeSenders([THROTTLED]), Clock(world.time, scale=60))
    (delivery,) = world.pending()
    attempt(worker, world, delivery)
    assert world.db.next_due() == pytest.approx(T0 + 1 / 60)


def test_the_worker_loop_retries_then_delivers_and_dead_letters(world):
    # the real loop, on real time made 1000x faster: back-off of 1 s, 2 s -> 1 ms, 2 ms
    world.time.now = time.time()
    world.rule("ok", {"source": ["shop"]}, targets=[target(Id="ok")])
    world.rule(
        "bad",
        {"source": ["shop"]},
        targets=[target(Id="bad", RetryPolicy={"MaximumRetryAttempts": 1})],
    )
    world.put()

    class Senders(FakeSenders):
        async def send(self, target, payload, event):
            self.sent.append(target["id"])
            if target["id"] == "ok":
                return THROTTLED if self.sent.count("ok") < 3 else DELIVERED
            return THROTTLED

    senders = Senders([])
    worker = TargetWorker(world.db, senders, Clock(scale=1000))

    async def run():
        task = asyncio.create_task(worker.run())
        worker.wake()
        for _ in range(500):
            await asyncio.sleep(0.005)
            if world.db.pending() == 0:
                break
        task.cancel()

    asyncio.run(run())
    assert world.db.pending() == 0
    assert senders.sent.count("ok") == 3  # two throttled attempts, then delivered
    assert senders.sent.count("bad") == 2  # the first attempt and one retry
    ((_, _, attributes),) = senders.dead
    assert attributes["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"


# -- scheduled rules ----------------------------------------------------------------------


def test_a_scheduled_rule_sends_awss_scheduled_event(world):
    world.rule("tick", schedule="rate(1 minute)", targets=[{"Id": "t", "Arn": FN}])
    assert world.ticker.fire_due() == []
    world.time.now = T0 + 60
    assert len(world.ticker.fire_due()) == 1
    (delivery,) = world.pending()
    event = json.loads(delivery.payload)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/tick"]
    assert event["detail"] == {}
    assert event["time"] == "2027-01-15T08:01:00Z"
    assert world.db.last_fired() == {"rule:default/tick": T0 + 60}


def test_after_downtime_the_next_tick_is_in_the_future(world):
    world.rule("tick", schedule="rate(1 minute)", targets=[{"Id": "t", "Arn": FN}])
    world.time.now = T0 + 60
    world.ticker.fire_due()
    world.db.delivered([d.id for d in world.pending()])
    # serverlite is down for an hour; a new ticker starts on the same store
    world.time.now = T0 + 3600 + 90
    restarted = Ticker(world.db, world.router, world.arns, Clock(world.time))
    assert restarted.fire_due() == []
    assert world.pending() == []
    assert restarted.book.next_wakeup() == T0 + 3600 + 120
    world.time.now = T0 + 3600 + 120
    assert len(restarted.fire_due()) == 1


def test_schedule_rules_live_on_the_default_bus_only(world):
    ops_buses.create_event_bus(world.ctx, {"Name": "orders"})
    with pytest.raises(AwsError) as raised:
        world.rule("tick", schedule="rate(1 minute)", bus="orders")
    assert raised.value.message == "ScheduleExpression is supported only on the default event bus."
    with pytest.raises(AwsError) as bad:
        world.rule("tick", schedule="rate(1 minutes)")
    assert bad.value.message == "Parameter ScheduleExpression is not valid."


# -- archives and replays ----------------------------------------------------------------


def test_archive_and_replay_a_window(world):
    bus_arn = world.arns.bus("default")
    ops_archives.create_archive(
        world.ctx,
        {"ArchiveName": "all", "EventSourceArn": bus_arn, "EventPattern": '{"source": ["shop"]}'},
    )
    first = world.put()["EventId"]
    world.time.now = T0 + 100
    second = world.put()["EventId"]
    world.put(Source="elsewhere")
    archive = ops_archives.describe_archive(world.ctx, {"ArchiveName": "all"})
    assert archive["EventCount"] == 2
    # a rule created after the events were sent receives them when they are replayed
    world.rule("r", {"source": ["shop"]}, targets=[{"Id": "t", "Arn": FN}])
    world.rule("s", {"source": ["shop"]}, targets=[{"Id": "t", "Arn": FN + "2"}])
    ops_archives.start_replay(
        world.ctx,
        {
            "ReplayName": "again",
            "EventSourceArn": world.arns.archive("all"),
            "EventStartTime": T0 + 50,
            "EventEndTime": T0 + 200,
            "Destination": {"Arn": bus_arn, "FilterArns": [world.arns.rule("default", "r")]},
        },
    )
    assert ops_archives.describe_replay(world.ctx, {"ReplayName": "again"})["State"] == "STARTING"
    while ops_archives.run_replays(world.ctx):
        pass
    (delivery,) = world.pending()
    event = json.loads(delivery.payload)
    assert event["id"] == second != first
    assert event["replay-name"] == "again"
    assert delivery.target["arn"] == FN  # FilterArns: only rule r
    described = ops_archives.describe_replay(world.ctx, {"ReplayName": "again"})
    assert described["State"] == "COMPLETED"
    assert described["EventLastReplayedTime"] == T0 + 100
    assert ops_archives.describe_archive(world.ctx, {"ArchiveName": "all"})["EventCount"] == 2


def test_replay_refusals(world):
    bus_arn = world.arns.bus("default")
    ops_archives.create_archive(world.ctx, {"ArchiveName": "a", "EventSourceArn": bus_arn})
    request = {
        "ReplayName": "x",
        "EventSourceArn": world.arns.archive("a"),
        "EventStartTime": T0,
        "EventEndTime": T0 - 1,
        "Destination": {"Arn": bus_arn},
    }
    with pytest.raises(AwsError, match="EventStartTime must be before EventEndTime"):
        ops_archives.start_replay(world.ctx, request)
    with pytest.raises(AwsError, match="Archive nope does not exist"):
        ops_archives.start_replay(
            world.ctx, {**request, "EventSourceArn": world.arns.archive("nope")}
        )
    with pytest.raises(AwsError) as exists:
        ops_archives.create_archive(world.ctx, {"ArchiveName": "a", "EventSourceArn": bus_arn})
    assert exists.value.code == "ResourceAlreadyExistsException"


# -- TestEventPattern --------------------------------------------------------------------


def test_test_event_pattern(world):
    event = aws_sample("eventBridgeEvent.json")
    request = {"EventPattern": '{"detail": {"state": ["terminated"]}}', "Event": json.dumps(event)}
    assert ops_events.test_event_pattern(world.ctx, request) == {"Result": True}
    request["EventPattern"] = '{"detail": {"state": ["running"]}}'
    assert ops_events.test_event_pattern(world.ctx, request) == {"Result": False}
    del event["account"]
    with pytest.raises(AwsError, match="Parameter Event is not valid."):
        ops_events.test_event_pattern(world.ctx, {**request, "Event": json.dumps(event)})
    with pytest.raises(AwsError) as bad:
        ops_events.test_event_pattern(world.ctx, {**request, "EventPattern": '{"a": "b"}'})
    assert bad.value.code == "InvalidEventPatternException"


@pytest.mark.parametrize("field", ["id", "account", "source", "time", "region", "detail-type"])
def test_test_event_pattern_needs_six_fields_but_not_resources(world, field):
    # The API reference calls `resources` mandatory; AWS answers events without it (recorded
    # TestEventPattern answers, e.g. {"id", "source", "detail-type", "account", "region",
    # "time"} plus detail), and refuses an event lacking any of the other six.
    event = aws_sample("eventBridgeEvent.json")
    del event["resources"]
    request = {"EventPattern": '{"detail": {"state": ["terminated"]}}', "Event": json.dumps(event)}
    assert ops_events.test_event_pattern(world.ctx, request) == {"Result": True}
    del event[field]
    with pytest.raises(AwsError, match="Parameter Event is not valid."):
        ops_events.test_event_pattern(world.ctx, {**request, "Event": json.dumps(event)})


@pytest.mark.parametrize(
    ("operation", "member"),
    [
        (ops_rules.describe_rule, "Name"),
        (ops_rules.delete_rule, "Name"),
        (ops_rules.enable_rule, "Name"),
        (ops_rules.disable_rule, "Name"),
        (ops_rules.put_targets, "Rule"),
        (ops_rules.remove_targets, "Rule"),
        (ops_rules.list_targets_by_rule, "Rule"),
    ],
)
@pytest.mark.parametrize("value", [None, 7, {"a": 1}, ""])
def test_a_rule_named_by_nothing_or_no_string_is_a_validation_error(
    world, operation, member, value
):
    # AWS validates the RuleName before looking it up; it never says "Rule None does not exist"
    body = {} if value is None else {member: value}
    with pytest.raises(AwsError) as raised:
        operation(world.ctx, body)
    assert raised.value.code == "ValidationException"
    assert f"Value null at '{member.lower()}'" in raised.value.message
