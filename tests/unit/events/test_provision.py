"""The template's buses, rules and schedules: names as SAM makes them, idempotent
across restarts, updated when the template changes, refused when invalid."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from serverlite.aws.events import provision
from serverlite.aws.events.records import Rule
from serverlite.aws.events.store import EventsDb
from serverlite.errors import TemplateError
from serverlite.template import load_application

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TEMPLATE = FIXTURES / "events" / "template.yaml"
FN = "arn:aws:lambda:us-east-1:123456789012:function:{}"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def load(path=TEMPLATE):
    return load_application(path, parameter_overrides={"MarkerDir": "/tmp/markers"})


def test_declarations_follow_sams_names():
    found = provision.declarations(load())
    assert found.buses == {"orders": ""}
    rule, targets = found.rules[("orders", "OnOrderPlaced")]
    assert json.loads(rule.pattern)["detail"] == {"total": [{"numeric": [">", 0]}]}
    assert targets == [{"Id": "OnOrderPlacedLambdaTarget", "Arn": FN.format("OnOrder")}]
    assert found.rules[("default", "ShapedShape")][1][0]["Id"] == "shaped-target"  # Target.Id
    tick, _ = found.rules[("default", "TickerEveryMinute")]
    assert (tick.schedule, tick.state) == ("rate(1 minute)", "ENABLED")
    assert found.rules[("default", "TickerOff")][0].state == "DISABLED"  # Enabled: false
    _, cfn_targets = found.rules[("default", "copy-and-fail")]
    assert [t["Id"] for t in cfn_targets] == ["to-queue", "to-nowhere"]
    assert cfn_targets[0]["Arn"] == "arn:aws:sqs:us-east-1:123456789012:orders-copy"
    schedule = found.schedules[("default", "TickerEveryMinuteV2")]
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert schedule["Target"]["Arn"] == FN.format("Ticker")


def test_provisioning_is_idempotent_and_follows_template_changes(tmp_path):
    db, clock = EventsDb(Path(":memory:")), Clock()
    provision.apply(db, provision.declarations(load()), clock)
    rules = {(r.bus, r.name): r for r in db.rules()}
    targets = db.targets()
    clock.now = 2000.0  # a restart later: nothing changes, rate phases are kept
    provision.apply(db, provision.declarations(load()), clock)
    assert {(r.bus, r.name): r for r in db.rules()} == rules
    assert db.targets() == targets
    assert rules[("default", "TickerEveryMinute")].created == 1000.0
    # a changed template: the changed rule is replaced, a removed one deleted,
    # and a rule made through the API is left alone
    db.put_rule(Rule("default", "mine", '{"source": ["x"]}', None, "ENABLED", "", None, 5.0))
    changed = TEMPLATE.read_text().replace("source: [legacy]", "source: [legacy2]")
    changed = changed.replace("  Relay:\n", "  RelayGone:\n")
    path = tmp_path / "template.yaml"
    path.write_text(changed.replace("../functions/", str(FIXTURES / "functions") + "/"))
    provision.apply(db, provision.declarations(load(path)), clock)
    after = {(r.bus, r.name): r for r in db.rules()}
    assert json.loads(after[("default", "OnOrderLegacy")].pattern) == {"source": ["legacy2"]}
    assert ("default", "Relay") not in after
    assert ("default", "RelayGone") in after
    assert ("default", "mine") in after


def test_invalid_template_rules_are_refused_with_their_place(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Bad:\n"
        "    Type: AWS::Events::Rule\n"
        "    Properties:\n"
        "      EventPattern: {source: [{prefx: a}]}\n"
    )
    with pytest.raises(TemplateError) as raised:
        provision.declarations(load_application(path))
    assert "Resources.Bad.Properties" in str(raised.value)
    assert "Unrecognized match type prefx" in str(raised.value)


ARCHIVES = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: orders}
  Kept:
    Type: AWS::Events::Archive
    Properties:
      ArchiveName: orders-archive
      SourceArn: !GetAtt Bus.Arn
      EventPattern: {source: [shop]}
      RetentionDays: 7
      Description: every shop event
  Unnamed:
    Type: AWS::Events::Archive
    Properties:
      SourceArn: !Sub arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/default
"""


def test_template_archives_are_provisioned_kept_updated_and_removed(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(ARCHIVES)
    db, clock = EventsDb(Path(":memory:")), Clock()
    lines = provision.apply(db, provision.declarations(load_application(path)), clock)
    archives = {a.name: a for a in db.archives()}
    kept = archives["orders-archive"]
    assert (kept.bus, kept.retention_days, kept.description) == ("orders", 7, "every shop event")
    assert json.loads(kept.pattern) == {"source": ["shop"]}
    assert archives["Unnamed"].bus == "default"  # no ArchiveName: the logical id, as CFN's Ref
    assert archives["Unnamed"].retention_days == 0  # 0: kept indefinitely
    assert {(x.kind, x.name) for x in lines} >= {("archive", "orders-archive")}
    # a restart with the same template rewrites nothing
    clock.now = 2000.0
    provision.apply(db, provision.declarations(load_application(path)), clock)
    assert db.archive("orders-archive").created == 1000.0
    # an archive made through the API is left alone; a changed declaration is updated in
    # place (same creation time); one removed from the template is deleted
    db.put_archive(replace(kept, name="mine", pattern=None))
    path.write_text(
        ARCHIVES.replace("RetentionDays: 7", "RetentionDays: 30").split("  Unnamed:")[0]
    )
    provision.apply(db, provision.declarations(load_application(path)), clock)
    after = {a.name: a for a in db.archives()}
    assert after["orders-archive"].retention_days == 30
    assert after["orders-archive"].created == 1000.0
    assert "Unnamed" not in after
    assert "mine" in after


def test_an_archive_on_a_missing_bus_is_refused(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(
        ARCHIVES.replace(
            "SourceArn: !GetAtt Bus.Arn",
            "SourceArn: arn:aws:events:us-east-1:123456789012:event-bus/nope",
        )
    )
    with pytest.raises(TemplateError, match="event bus nope does not exist"):
        provision.apply(
            EventsDb(Path(":memory:")), provision.declarations(load_application(path)), Clock()
        )


def test_an_archive_name_create_archive_would_refuse_is_refused(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(ARCHIVES.replace("ArchiveName: orders-archive", "ArchiveName: orders/archive"))
    with pytest.raises(TemplateError) as raised:
        provision.declarations(load_application(path))
    assert "Resources.Kept.Properties" in str(raised.value)
    assert "Member must satisfy regular expression pattern" in str(raised.value)
