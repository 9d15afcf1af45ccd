"""Routing: which rules (and archives) of a bus an event matches, and what each
target of those rules receives.

Rules, targets and archives are compiled once and cached; every change through
the API or the template invalidates the cache. Matching sees the event as JSON
text, so literal numbers compare by their spelling as on AWS.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from serverlite.patterns import Pattern, compile_pattern, expand_dotted, parse_event

from .names import Arns
from .records import Rule
from .schedule_expressions import format_time
from .store import EventsDb, NewDelivery
from .targets import render, snapshot, transformer_of
from .transform import InputTransformer, TransformContext


@dataclass(frozen=True)
class CompiledTarget:
    spec: dict[str, Any]
    transformer: InputTransformer | None
    snapshot: dict[str, Any]


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    arn: str
    pattern: Pattern | None
    targets: tuple[CompiledTarget, ...]


@dataclass(frozen=True)
class Routed:
    deliveries: list[NewDelivery]
    archived: list[tuple[str, str]]  # (archive name, event)
    rules: list[str] = field(default_factory=list)  # the rules matched (AWS/Events metrics)


class RuleRouter:
    def __init__(self, db: EventsDb, arns: Arns) -> None:
        self._db = db
        self._arns = arns
        self._lock = threading.Lock()
        self._rules: dict[str, list[CompiledRule]] | None = None
        self._archives: dict[str, list[tuple[str, Pattern | None]]] | None = None

    def invalidate(self) -> None:
        with self._lock:
            self._rules = None
            self._archives = None

    def rules(self, bus: str) -> list[CompiledRule]:
        with self._lock:
            if self._rules is None:
                self._rules = self._compile_rules()
            return self._rules.get(bus, [])

    def rule(self, bus: str, name: str) -> CompiledRule | None:
        return next((r for r in self.rules(bus) if r.rule.name == name), None)

    def _compile_rules(self) -> dict[str, list[CompiledRule]]:
        targets: dict[tuple[str, str], list[CompiledTarget]] = {}
        rules = self._db.rules()
        arns = {(r.bus, r.name): self._arns.rule(r.bus, r.name) for r in rules}
        for target in self._db.targets():
            arn = arns.get((target.bus, target.rule), "")
            compiled = CompiledTarget(
                target.spec, transformer_of(target.spec), snapshot(target.spec, arn)
            )
            targets.setdefault((target.bus, target.rule), []).append(compiled)
        result: dict[str, list[CompiledRule]] = {}
        for rule in rules:
            pattern = compile_pattern(rule.pattern) if rule.pattern else None
            compiled_rule = CompiledRule(
                rule,
                arns[(rule.bus, rule.name)],
                pattern,
                tuple(targets.get((rule.bus, rule.name), ())),
            )
            result.setdefault(rule.bus, []).append(compiled_rule)
        return result

    def _archive_patterns(self, bus: str) -> list[tuple[str, Pattern | None]]:
        with self._lock:
            if self._archives is None:
                self._archives = {}
                for archive in self._db.archives():
                    if archive.state != "ENABLED":
                        continue
                    pattern = compile_pattern(archive.pattern) if archive.pattern else None
                    self._archives.setdefault(archive.bus, []).append((archive.name, pattern))
            return self._archives.get(bus, [])

    def route(
        self,
        bus: str,
        event_json: str,
        ingestion_time: float,
        *,
        hops: int = 0,
        only_rules: Collection[str] | None = None,
        archive: bool = True,
    ) -> Routed:
        """Deliveries for every enabled rule of ``bus`` the event matches (and archive copies)."""
        matchable = expand_dotted(parse_event(event_json))  # once, for every rule
        deliveries: list[NewDelivery] = []
        matched: list[str] = []
        plain: list[Any] = []  # the event parsed plainly, once, if a transform needs it
        for compiled in self.rules(bus):
            if not compiled.rule.enabled or compiled.pattern is None:
                continue
            if only_rules is not None and compiled.arn not in only_rules:
                continue
            if not compiled.pattern.matches(matchable):
                continue
            matched.append(compiled.rule.name)
            deliveries += self.deliveries_for(compiled, event_json, ingestion_time, hops, plain)
        archived = []
        if archive:
            for name, pattern in self._archive_patterns(bus):
                if pattern is None or pattern.matches(matchable):
                    archived.append((name, event_json))
        return Routed(deliveries, archived, matched)

    def deliveries_for(
        self,
        compiled: CompiledRule,
        event_json: str,
        ingestion_time: float,
        hops: int = 0,
        plain: list[Any] | None = None,
    ) -> list[NewDelivery]:
        context = TransformContext(compiled.arn, compiled.rule.name, format_time(ingestion_time))
        result: list[NewDelivery] = []
        plain = [] if plain is None else plain
        for target in compiled.targets:
            needs_parse = target.transformer is not None or target.spec.get("InputPath") is not None
            if needs_parse and not plain:
                plain.append(json.loads(event_json))
            payload = render(
                target.spec, target.transformer, event_json, plain[0] if plain else None, context
            )
            shot = target.snapshot if not hops else {**target.snapshot, "hops": hops}
            result.append((shot, payload, event_json))
        return result
