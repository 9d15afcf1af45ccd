"""The template's buses, rules and schedules, made to exist at start (idempotently).

    AWS::Events::EventBus, AWS::Events::Rule (EventPattern, ScheduleExpression, State,
    Targets), AWS::Events::Archive, AWS::Scheduler::Schedule, and function (and
    AWS::Serverless::StateMachine) events of Type EventBridgeRule, CloudWatchEvent,
    Schedule and ScheduleV2, named as SAM names what it generates: the rule
    ``<Function><Event>`` with the target ``<Function><Event>LambdaTarget``
    (``...StepFunctionsTarget`` for a state machine).

Each declaration is stored with a fingerprint; a restart with the same template
changes nothing (a rate schedule keeps its phase), a changed declaration is
replaced, and one removed from the template is deleted (an archive with the events
it holds, as CloudFormation deletes it). Rules, schedules and archives created
through the API are left alone.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Protocol

from serverlite.aws.backend import AwsError, ProvisionedResource
from serverlite.errors import TemplateError
from serverlite.template.model import Application, EventSourceSpec, ResourceSpec

from .context import check_pattern, check_schedule
from .names import ARCHIVE_NAME, DEFAULT_BUS, bus_name, check_name
from .records import Archive, Bus, Rule, Schedule
from .schedule_spec import DEFAULT_GROUP, check_spec
from .store import EventsDb
from .targets import check_target

RULE_EVENTS = ("EventBridgeRule", "CloudWatchEvent", "Schedule")
_TARGET_KEYS = ("Input", "InputPath", "InputTransformer", "RetryPolicy")


@dataclass
class Declarations:
    buses: dict[str, str] = field(default_factory=dict)  # name -> description
    rules: dict[tuple[str, str], tuple[Rule, list[dict[str, Any]]]] = field(default_factory=dict)
    schedules: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    sam_queues: set[str] = field(default_factory=set)  # DeadLetterConfig Type: SQS queue ARNs
    archives: dict[str, Archive] = field(default_factory=dict)  # name -> declared archive


def _fail(app: Application, stack_path: tuple[str, ...], where: str, message: str) -> TemplateError:
    stack = next(s for s in app.root.walk() if s.path == stack_path)
    return TemplateError(str(stack.template_file), where, message)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def declarations(app: Application) -> Declarations:
    found = Declarations()
    for resource in app.resources:
        if resource.type == "AWS::Events::EventBus":
            found.buses[resource.physical_id] = str(resource.properties.get("Description") or "")
        elif resource.type == "AWS::Events::Rule":
            _cfn_rule(app, resource, found)
        elif resource.type == "AWS::Events::Archive":
            _cfn_archive(app, resource, found)
        elif resource.type == "AWS::Scheduler::Schedule":
            props = dict(resource.properties)
            group = str(props.pop("GroupName", None) or DEFAULT_GROUP)
            found.schedules[(group, resource.physical_id)] = _spec(
                app, resource.stack_path, f"Resources.{resource.logical_id}", props
            )
    owners: list[_Owner] = [*app.functions, *_state_machines(app)]
    for fn in owners:
        for event in fn.events:
            if event.type in RULE_EVENTS:
                _function_rule(app, fn, event, found)
            elif event.type == "ScheduleV2":
                _function_schedule(app, fn, event, found)
    return found


class _Owner(Protocol):
    """What has SAM events that become rules or schedules: a function, a state machine."""

    @property
    def logical_id(self) -> str: ...
    @property
    def stack_path(self) -> tuple[str, ...]: ...
    @property
    def arn(self) -> str: ...
    @property
    def events(self) -> tuple[EventSourceSpec, ...]: ...


@dataclass(frozen=True)
class _StateMachine:
    logical_id: str
    stack_path: tuple[str, ...]
    arn: str
    events: tuple[EventSourceSpec, ...]


def _state_machines(app: Application) -> list[_StateMachine]:
    """AWS::Serverless::StateMachine resources whose Events start executions (SAM makes
    the same rules and schedules as for a function, targeting the state machine)."""
    made = []
    for resource in app.resources:
        if resource.type != "AWS::Serverless::StateMachine":
            continue
        raw = resource.properties.get("Events")
        events = tuple(
            EventSourceSpec(str(name), str(spec.get("Type")), dict(spec.get("Properties") or {}))
            for name, spec in (raw.items() if isinstance(raw, dict) else ())
            if isinstance(spec, dict)
        )
        made.append(
            _StateMachine(resource.logical_id, resource.stack_path, resource.physical_id, events)
        )
    return made


def _rule(
    app: Application,
    stack: tuple[str, ...],
    where: str,
    props: dict[str, Any],
    name: str,
    targets: list[dict[str, Any]],
) -> tuple[Rule, list[dict[str, Any]]]:
    pattern, schedule = _text(props.get("EventPattern")), props.get("ScheduleExpression")
    try:
        if pattern:
            check_pattern(pattern)
        if schedule:
            check_schedule(schedule)
        checked = [check_target(t, i) for i, t in enumerate(targets, 1)]
    except AwsError as exc:
        raise _fail(app, stack, where, f"{exc.code}: {exc.message}") from exc
    if not pattern and not schedule:
        raise _fail(app, stack, where, "needs an EventPattern or a ScheduleExpression")
    rule = Rule(
        bus_name(props.get("EventBusName")),
        name,
        pattern,
        schedule,
        str(props.get("State") or "ENABLED"),
        str(props.get("Description") or ""),
        props.get("RoleArn"),
        0.0,
    )
    return rule, checked


def _cfn_rule(app: Application, resource: ResourceSpec, found: Declarations) -> None:
    props = dict(resource.properties)
    targets = [dict(t) for t in props.get("Targets") or []]
    rule, checked = _rule(
        app,
        resource.stack_path,
        f"Resources.{resource.logical_id}.Properties",
        props,
        resource.physical_id,
        targets,
    )
    found.rules[(rule.bus, rule.name)] = (rule, checked)


def _cfn_archive(app: Application, resource: ResourceSpec, found: Declarations) -> None:
    props = resource.properties
    where = f"Resources.{resource.logical_id}.Properties"
    source = str(props.get("SourceArn") or "")
    bus = source.partition(":event-bus/")[2]
    if not bus:
        raise _fail(app, resource.stack_path, where, "SourceArn must be an event bus ARN")
    pattern = _text(props.get("EventPattern"))
    retention = props.get("RetentionDays", 0)
    name = resource.physical_id
    try:
        check_name(name, "archiveName", ARCHIVE_NAME, 48)  # as CreateArchive checks it
        if pattern:
            check_pattern(pattern)
        retention = int(retention)  # CloudFormation passes template integers as strings too
    except (AwsError, TypeError, ValueError) as exc:
        detail = f"{exc.code}: {exc.message}" if isinstance(exc, AwsError) else str(exc)
        raise _fail(app, resource.stack_path, where, detail) from exc
    if retention < 0:
        raise _fail(app, resource.stack_path, where, "RetentionDays must be 0 or more")
    description = str(props.get("Description") or "")
    found.archives[name] = Archive(name, bus, description, pattern, retention, 0.0, "ENABLED")


def _function_rule(
    app: Application, fn: _Owner, event: EventSourceSpec, found: Declarations
) -> None:
    props = dict(event.properties)
    logical = f"{fn.logical_id}{event.name}"
    where = f"Resources.{fn.logical_id}.Properties.Events.{event.name}.Properties"
    kind = "StepFunctions" if isinstance(fn, _StateMachine) else "Lambda"
    target: dict[str, Any] = {"Id": f"{logical}{kind}Target", "Arn": fn.arn}
    if isinstance(props.get("Target"), dict) and props["Target"].get("Id"):
        target["Id"] = props["Target"]["Id"]
    target.update({k: props[k] for k in _TARGET_KEYS if props.get(k) is not None})
    dlq = props.get("DeadLetterConfig")
    if isinstance(dlq, dict):
        arn = dlq.get("Arn")
        if arn is None and dlq.get("Type") == "SQS":  # SAM creates this queue
            queue = str(dlq.get("QueueLogicalId") or f"{logical}Queue")
            arn = f"arn:aws:sqs:{app.region}:{app.account_id}:{queue}"
            found.sam_queues.add(arn)
        target["DeadLetterConfig"] = {"Arn": arn}
    if event.type == "Schedule":
        rule_props = {
            "ScheduleExpression": props.get("Schedule"),
            "Description": props.get("Description"),
            "State": _schedule_state(props),
        }
        name = str(props.get("Name") or "-".join((*fn.stack_path, logical)))
    else:
        rule_props = {
            "EventPattern": props.get("Pattern"),
            "EventBusName": props.get("EventBusName"),
            "State": props.get("State"),
        }
        name = str(props.get("RuleName") or "-".join((*fn.stack_path, logical)))
    rule, checked = _rule(app, fn.stack_path, where, rule_props, name[:64], [target])
    found.rules[(rule.bus, rule.name)] = (rule, checked)


def _schedule_state(props: dict[str, Any]) -> str:
    if props.get("State"):
        return str(props["State"])
    return "DISABLED" if props.get("Enabled") is False else "ENABLED"


def _function_schedule(
    app: Application, fn: _Owner, event: EventSourceSpec, found: Declarations
) -> None:
    props = dict(event.properties)
    where = f"Resources.{fn.logical_id}.Properties.Events.{event.name}.Properties"
    target: dict[str, Any] = {
        "Arn": fn.arn,
        "RoleArn": props.get("RoleArn") or f"{fn.arn}-scheduler-role",
    }
    for key in ("Input", "RetryPolicy", "DeadLetterConfig"):
        if props.get(key) is not None:
            target[key] = props[key]
    spec = {
        k: v
        for k, v in props.items()
        if k
        not in (
            "Input",
            "RetryPolicy",
            "DeadLetterConfig",
            "RoleArn",
            "Name",
            "GroupName",
            "OmitName",
        )
    }
    spec.setdefault("FlexibleTimeWindow", {"Mode": "OFF"})
    spec["Target"] = target
    name = str(props.get("Name") or "-".join((*fn.stack_path, f"{fn.logical_id}{event.name}")))
    group = str(props.get("GroupName") or DEFAULT_GROUP)
    found.schedules[(group, name[:64])] = _spec(app, fn.stack_path, where, spec)


def _spec(
    app: Application, stack: tuple[str, ...], where: str, props: dict[str, Any]
) -> dict[str, Any]:
    props.pop("Name", None)
    try:
        return check_spec(props)
    except AwsError as exc:
        raise _fail(app, stack, where, f"{exc.code}: {exc.message}") from exc


def _fingerprint(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:32]


def apply(db: EventsDb, found: Declarations, now: Callable[[], float]) -> list[ProvisionedResource]:
    """Make the store hold what the template declares; returns the startup table's lines."""
    lines = []
    for name, description in sorted({DEFAULT_BUS: "", **found.buses}.items()):
        if db.bus(name) is None:
            db.put_bus(Bus(name, description, now(), now()))
        if name != DEFAULT_BUS:
            lines.append(ProvisionedResource("events", "event bus", name))
    existing = {(r.bus, r.name): r for r in db.rules()}
    for key, (rule, targets) in found.rules.items():
        shown = (rule.pattern or rule.schedule or "")[:60]
        lines.append(
            ProvisionedResource("events", "rule", rule.name, f"{shown} -> {len(targets)} target(s)")
        )
        fingerprint = _fingerprint([asdict(rule), targets])
        old = existing.get(key)
        if old is not None and old.managed == fingerprint:
            continue
        if db.bus(rule.bus) is None:
            raise TemplateError(
                "template", f"rule {rule.name}", f"event bus {rule.bus} does not exist"
            )
        db.put_rule(replace(rule, created=old.created if old else now(), managed=fingerprint))
        db.remove_targets(rule.bus, rule.name, [t.id for t in db.targets(rule.bus, rule.name)])
        db.put_targets(rule.bus, rule.name, targets)
    for key, old in existing.items():
        if old.managed and key not in found.rules:
            db.delete_rule(*key)
    lines += _apply_archives(db, found, now)
    current = {(s.group, s.name): s for s in db.schedules()}
    for (group, name), spec in found.schedules.items():
        lines.append(ProvisionedResource("scheduler", "schedule", name, spec["ScheduleExpression"]))
        fingerprint = _fingerprint(spec)
        previous = current.get((group, name))
        if previous is not None and previous.managed == fingerprint:
            continue
        created = previous.created if previous else now()
        db.put_schedule(Schedule(group, name, spec, created, now(), fingerprint))
    for key, old_schedule in current.items():
        if old_schedule.managed and key not in found.schedules:
            db.delete_schedule(*key)
    return lines


def _apply_archives(
    db: EventsDb, found: Declarations, now: Callable[[], float]
) -> list[ProvisionedResource]:
    lines, managed = [], db.managed_archives()
    for name, archive in sorted(found.archives.items()):
        kept = "kept indefinitely" if not archive.retention_days else f"{archive.retention_days} d"
        lines.append(ProvisionedResource("events", "archive", name, f"bus {archive.bus}, {kept}"))
        fingerprint = _fingerprint(asdict(archive))
        if managed.get(name) == fingerprint:
            continue
        if db.bus(archive.bus) is None:
            raise TemplateError(
                "template", f"archive {name}", f"event bus {archive.bus} does not exist"
            )
        old = db.archive(name)  # a changed declaration keeps the events already archived
        db.put_managed_archive(replace(archive, created=old.created if old else now()), fingerprint)
    for name in managed.keys() - found.archives.keys():
        db.delete_archive(name)
    return lines
