"""Rules and their targets: PutRule, DescribeRule, ListRules, ListRuleNamesByTarget,
DeleteRule, EnableRule, DisableRule, PutTargets, RemoveTargets, ListTargetsByRule."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from serverlite.aws.backend import AwsError

from .context import EventsContext, check_pattern, check_schedule, page
from .names import DEFAULT_BUS, RULE_NAME, bus_name, check_name, not_found, validation
from .ops_buses import require_bus
from .records import Rule
from .targets import MAX_TARGETS_PER_RULE, check_target

RULE_STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")


def require_rule(ctx: EventsContext, bus: str, name: str) -> Rule:
    rule = ctx.db.rule(bus, name)
    if rule is None:
        raise not_found(f"Rule {name} does not exist on EventBus {bus}.")
    return rule


def rule_name(body: dict[str, Any], member: str = "Name") -> str:
    """The rule an operation names: AWS validates it as a RuleName (1-64 characters of
    [.-_A-Za-z0-9]) before looking it up, so a missing or non-string one is a
    ValidationException, not "Rule None does not exist"."""
    return check_name(body.get(member), member.lower(), RULE_NAME, 64)


def rule_shape(ctx: EventsContext, rule: Rule) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Name": rule.name,
        "Arn": ctx.arns.rule(rule.bus, rule.name),
        "State": rule.state,
        "EventBusName": rule.bus,
    }
    for key, value in (
        ("EventPattern", rule.pattern),
        ("ScheduleExpression", rule.schedule),
        ("Description", rule.description),
        ("RoleArn", rule.role_arn),
    ):
        if value:
            result[key] = value
    return result


def _check_state(body: dict[str, Any]) -> str:
    state = body.get("State") or "ENABLED"
    if state not in RULE_STATES:
        raise validation(
            f"1 validation error detected: Value '{state}' at 'state' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(RULE_STATES)}]"
        )
    return str(state)


def put_rule(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    name = check_name(body.get("Name"), "name", RULE_NAME, 64)
    bus = bus_name(body.get("EventBusName"))
    pattern, schedule = body.get("EventPattern"), body.get("ScheduleExpression")
    if not pattern and not schedule:
        raise validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
    if pattern:
        check_pattern(pattern)
    if schedule:
        if bus != DEFAULT_BUS:
            raise validation("ScheduleExpression is supported only on the default event bus.")
        check_schedule(schedule)
    state = _check_state(body)
    require_bus(ctx, bus)
    existing = ctx.db.rule(bus, name)
    rule = Rule(
        bus=bus,
        name=name,
        pattern=pattern or None,
        schedule=schedule or None,
        state=state,
        description=str(body.get("Description") or ""),
        role_arn=body.get("RoleArn"),
        created=existing.created if existing else ctx.clock(),
        managed=existing.managed if existing else None,
    )
    ctx.db.put_rule(rule)
    ctx.rules_changed()
    return {"RuleArn": ctx.arns.rule(bus, name)}


def describe_rule(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    rule = require_rule(ctx, bus_name(body.get("EventBusName")), rule_name(body))
    return {**rule_shape(ctx, rule), "CreatedBy": ctx.arns.account}


def list_rules(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name(body.get("EventBusName"))
    require_bus(ctx, bus)
    prefix = str(body.get("NamePrefix") or "")
    rules = [rule_shape(ctx, r) for r in ctx.db.rules(bus) if r.name.startswith(prefix)]
    return page(rules, body, "Rules")


def list_rule_names_by_target(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name(body.get("EventBusName"))
    arn = body.get("TargetArn")
    names = sorted({t.rule for t in ctx.db.targets() if t.bus == bus and t.spec["Arn"] == arn})
    return page(names, body, "RuleNames")


def delete_rule(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name(body.get("EventBusName"))
    name = rule_name(body)
    if ctx.db.rule(bus, name) is None:
        return {}  # AWS: deleting a rule twice succeeds
    if ctx.db.targets(bus, name) and not body.get("Force"):
        raise validation("Rule can't be deleted since it has targets.")
    ctx.db.delete_rule(bus, name)
    ctx.rules_changed()
    return {}


def enable_rule(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    return _set_state(ctx, body, "ENABLED")


def disable_rule(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    return _set_state(ctx, body, "DISABLED")


def _set_state(ctx: EventsContext, body: dict[str, Any], state: str) -> dict[str, Any]:
    rule = require_rule(ctx, bus_name(body.get("EventBusName")), rule_name(body))
    ctx.db.put_rule(replace(rule, state=state))
    ctx.rules_changed()
    return {}


# -- targets ---------------------------------------------------------------------------
def put_targets(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name(body.get("EventBusName"))
    rule = require_rule(ctx, bus, rule_name(body, "Rule"))
    specs = body.get("Targets")
    if not isinstance(specs, list) or not specs:
        raise validation(
            "1 validation error detected: Value null at 'targets' failed to "
            "satisfy constraint: Member must not be null"
        )
    checked = [check_target(spec, index) for index, spec in enumerate(specs, 1)]
    existing = {t.id for t in ctx.db.targets(bus, rule.name)}
    if len(existing | {spec["Id"] for spec in checked}) > MAX_TARGETS_PER_RULE:
        raise AwsError(
            "LimitExceededException",
            "The requested resource exceeds the maximum number allowed.",
        )
    ctx.db.put_targets(bus, rule.name, checked)
    ctx.rules_changed()
    return {"FailedEntryCount": 0, "FailedEntries": []}


def remove_targets(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name(body.get("EventBusName"))
    rule = require_rule(ctx, bus, rule_name(body, "Rule"))
    ids = [str(i) for i in body.get("Ids") or []]
    existing = {t.id for t in ctx.db.targets(bus, rule.name)}
    failed = [
        {
            "TargetId": i,
            "ErrorCode": "ResourceNotFoundException",
            "ErrorMessage": f"Target {i} does not exist on rule {rule.name}.",
        }
        for i in ids
        if i not in existing
    ]
    ctx.db.remove_targets(bus, rule.name, [i for i in ids if i in existing])
    ctx.rules_changed()
    return {"FailedEntryCount": len(failed), "FailedEntries": failed}


def list_targets_by_rule(ctx: EventsContext, body: dict[str, Any]) -> dict[str, Any]:
    bus = bus_name(body.get("EventBusName"))
    rule = require_rule(ctx, bus, rule_name(body, "Rule"))
    targets = [t.spec for t in ctx.db.targets(bus, rule.name)]
    return page(targets, body, "Targets")
