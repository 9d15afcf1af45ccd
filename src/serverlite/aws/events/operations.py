"""The EventBridge API for buses, rules and targets: one method per operation.

Requests and responses are the structures botocore sends and parses; errors are
raised as ``AwsError`` with AWS's codes and messages.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.patterns import PatternError, compile_pattern

from .names import (
    BUS_NAME,
    DEFAULT_BUS,
    RULE_NAME,
    Arns,
    bus_name,
    check_name,
    not_found,
    validation,
)
from .records import Bus, Rule
from .router import RuleRouter
from .schedule_expressions import ScheduleExpressionError, parse_expression
from .store import EventsDb
from .targets import MAX_TARGETS_PER_RULE, check_target

RULE_STATES = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")
PATTERN_MAX = 4096


def invalid_pattern(exc: PatternError) -> AwsError:
    return AwsError("InvalidEventPatternException", str(exc))


def check_pattern(text: Any) -> str:
    if not isinstance(text, str):
        raise AwsError(
            "InvalidEventPatternException",
            "Event pattern is not valid. Reason: Filter is not an object",
        )
    if len(text) > PATTERN_MAX:
        raise validation(
            "1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: "
            f"Member must have length less than or equal to {PATTERN_MAX}"
        )
    try:
        compile_pattern(text)
    except PatternError as exc:
        raise invalid_pattern(exc) from exc
    return text


class BusesAndRules:
    def __init__(
        self,
        db: EventsDb,
        router: RuleRouter,
        arns: Arns,
        clock: Callable[[], float],
        changed: Callable[[], None],
    ) -> None:
        self.db = db
        self.router = router
        self.arns = arns
        self.clock = clock
        self._changed = changed  # rules or schedules changed: recompile, reload schedules
        if db.bus(DEFAULT_BUS) is None:
            now = clock()
            db.put_bus(Bus(DEFAULT_BUS, "", now, now))

    def _touch(self) -> None:
        self.router.invalidate()
        self._changed()

    # -- buses -------------------------------------------------------------------------
    def require_bus(self, name: str) -> Bus:
        bus = self.db.bus(name)
        if bus is None:
            raise not_found(f"Event bus {name} does not exist.")
        return bus

    def create_event_bus(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body.get("Name"), "name", BUS_NAME, 256)
        if "/" in name and not body.get("EventSourceName"):
            raise validation("Event bus name must not contain '/'.")
        if self.db.bus(name) is not None:
            raise AwsError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
        now = self.clock()
        self.db.put_bus(Bus(name, str(body.get("Description") or ""), now, now))
        result: dict[str, Any] = {"EventBusArn": self.arns.bus(name)}
        if body.get("Description"):
            result["Description"] = body["Description"]
        return result

    def delete_event_bus(self, body: dict[str, Any]) -> dict[str, Any]:
        name = check_name(body.get("Name"), "name", BUS_NAME, 256)
        if name == DEFAULT_BUS:
            raise validation("Cannot delete event bus default.")
        self.db.delete_bus(name)  # deleting a bus that does not exist succeeds, as on AWS
        self._touch()
        return {}

    def describe_event_bus(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = self.require_bus(bus_name(body.get("Name")))
        return self._bus(bus)

    def _bus(self, bus: Bus) -> dict[str, Any]:
        result: dict[str, Any] = {
            "Name": bus.name,
            "Arn": self.arns.bus(bus.name),
            "CreationTime": bus.created,
            "LastModifiedTime": bus.modified,
        }
        if bus.description:
            result["Description"] = bus.description
        return result

    def list_event_buses(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = str(body.get("NamePrefix") or "")
        buses = [self._bus(b) for b in self.db.buses() if b.name.startswith(prefix)]
        return page(buses, body, "EventBuses")

    # -- rules -------------------------------------------------------------------------
    def require_rule(self, bus: str, name: str) -> Rule:
        rule = self.db.rule(bus, name)
        if rule is None:
            raise not_found(f"Rule {name} does not exist on EventBus {bus}.")
        return rule

    def put_rule(self, body: dict[str, Any]) -> dict[str, Any]:
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
        state = body.get("State") or "ENABLED"
        if state not in RULE_STATES:
            raise validation(
                f"1 validation error detected: Value '{state}' at 'state' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{', '.join(RULE_STATES)}]"
            )
        self.require_bus(bus)
        existing = self.db.rule(bus, name)
        rule = Rule(
            bus=bus,
            name=name,
            pattern=pattern or None,
            schedule=schedule or None,
            state=state,
            description=str(body.get("Description") or ""),
            role_arn=body.get("RoleArn"),
            created=existing.created if existing else self.clock(),
            managed=existing.managed if existing else None,
        )
        self.db.put_rule(rule)
        self._touch()
        return {"RuleArn": self.arns.rule(bus, name)}

    def describe_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        rule = self.require_rule(bus_name(body.get("EventBusName")), str(body.get("Name")))
        return {**self._rule(rule), "CreatedBy": self.arns.account}

    def _rule(self, rule: Rule) -> dict[str, Any]:
        result: dict[str, Any] = {
            "Name": rule.name,
            "Arn": self.arns.rule(rule.bus, rule.name),
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

    def list_rules(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = bus_name(body.get("EventBusName"))
        self.require_bus(bus)
        prefix = str(body.get("NamePrefix") or "")
        rules = [self._rule(r) for r in self.db.rules(bus) if r.name.startswith(prefix)]
        return page(rules, body, "Rules")

    def list_rule_names_by_target(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = bus_name(body.get("EventBusName"))
        arn = body.get("TargetArn")
        names = sorted({t.rule for t in self.db.targets() if t.bus == bus and t.spec["Arn"] == arn})
        return page(names, body, "RuleNames")

    def delete_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = bus_name(body.get("EventBusName"))
        name = str(body.get("Name"))
        if self.db.rule(bus, name) is None:
            return {}  # AWS: deleting a rule twice succeeds
        if self.db.targets(bus, name) and not body.get("Force"):
            raise validation("Rule can't be deleted since it has targets.")
        self.db.delete_rule(bus, name)
        self._touch()
        return {}

    def enable_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(body, "ENABLED")

    def disable_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(body, "DISABLED")

    def _set_state(self, body: dict[str, Any], state: str) -> dict[str, Any]:
        rule = self.require_rule(bus_name(body.get("EventBusName")), str(body.get("Name")))
        self.db.put_rule(replace(rule, state=state))
        self._touch()
        return {}

    # -- targets -----------------------------------------------------------------------
    def put_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = bus_name(body.get("EventBusName"))
        rule = self.require_rule(bus, str(body.get("Rule")))
        specs = body.get("Targets")
        if not isinstance(specs, list) or not specs:
            raise validation(
                "1 validation error detected: Value null at 'targets' failed to "
                "satisfy constraint: Member must not be null"
            )
        checked = [check_target(spec, index) for index, spec in enumerate(specs, 1)]
        existing = {t.id for t in self.db.targets(bus, rule.name)}
        if len(existing | {spec["Id"] for spec in checked}) > MAX_TARGETS_PER_RULE:
            raise AwsError(
                "LimitExceededException",
                "The requested resource exceeds the maximum number allowed.",
            )
        self.db.put_targets(bus, rule.name, checked)
        self._touch()
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = bus_name(body.get("EventBusName"))
        rule = self.require_rule(bus, str(body.get("Rule")))
        ids = [str(i) for i in body.get("Ids") or []]
        existing = {t.id for t in self.db.targets(bus, rule.name)}
        failed = [
            {
                "TargetId": i,
                "ErrorCode": "ResourceNotFoundException",
                "ErrorMessage": f"Target {i} does not exist on rule {rule.name}.",
            }
            for i in ids
            if i not in existing
        ]
        self.db.remove_targets(bus, rule.name, [i for i in ids if i in existing])
        self._touch()
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def list_targets_by_rule(self, body: dict[str, Any]) -> dict[str, Any]:
        bus = bus_name(body.get("EventBusName"))
        rule = self.require_rule(bus, str(body.get("Rule")))
        targets = [t.spec for t in self.db.targets(bus, rule.name)]
        return page(targets, body, "Targets")


def check_schedule(text: Any) -> None:
    try:
        parse_expression(str(text))
    except ScheduleExpressionError as exc:
        raise validation("Parameter ScheduleExpression is not valid.") from exc


def page(items: list[Any], body: dict[str, Any], key: str) -> dict[str, Any]:
    """AWS-style pagination over a listing: Limit and an opaque NextToken."""
    limit = body.get("Limit") or body.get("MaxResults") or 100
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise validation(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            "constraint: Member must have value between 1 and 100"
        )
    start = 0
    token = body.get("NextToken")
    if token:
        try:
            start = int(base64.urlsafe_b64decode(str(token).encode()).decode())
        except ValueError as exc:
            raise validation("The NextToken provided is invalid.") from exc
    result: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        result["NextToken"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
    return result
