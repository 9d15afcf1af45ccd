"""Policy documents, read once into statements that match requests quickly.

A document is ``{"Version": ..., "Statement": [...]}`` (a single statement may stand
alone, not in a list). Each statement has an ``Effect``, ``Action`` or ``NotAction``,
``Resource`` or ``NotResource`` (a string or a list) and an optional ``Condition``.
``Principal`` is ignored: in an identity-based policy the principal is whoever holds
it. Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team}``...) in
resources and condition values are filled from the request's context; one the request
does not have makes the statement not match, as AWS does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from serverlite.iam import conditions, wildcards
from serverlite.iam.request import ContextValue

ALLOW, DENY = "Allow", "Deny"
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}  # ${*} ${?} ${$}: the literal character


class PolicyError(ValueError):
    """A document IAM would refuse to attach (no Effect, no Action, ...)."""


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_action: bool = False
    not_resource: bool = False
    condition: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    sid: str = ""
    source: str = ""  # where it came from: "DynamoDBReadPolicy", "AWSLambdaBasicExecutionRole"

    @property
    def condition_keys(self) -> frozenset[str]:
        keys = {key.casefold() for block in self.condition.values() for key in block}
        for value in (*self.resources, *_condition_values(self)):
            keys.update(name.casefold() for name in _VARIABLE.findall(value))
        return frozenset(keys)

    def matches_action(self, action: str) -> bool:
        hit = any(wildcards.action(pattern)(action) for pattern in self.actions)
        return hit != self.not_action

    def matches_resource(self, resource: str, context: Mapping[str, ContextValue]) -> bool:
        hit = False
        for pattern in self.resources:
            filled = _fill(pattern, context) if "${" in pattern else pattern
            if filled is not None and wildcards.arn(filled)(resource):
                hit = True
                break
        return hit != self.not_resource

    def matches_condition(self, context: Mapping[str, ContextValue]) -> bool:
        if not self.condition:
            return True
        block: dict[str, dict[str, tuple[str, ...]]] = {}
        for operator, keys in self.condition.items():
            block[operator] = {}
            for key, values in keys.items():
                filled = [_fill(v, context) if "${" in v else v for v in values]
                block[operator][key] = tuple(v for v in filled if v is not None)
        return conditions.matches(block, context)

    def applies(self, action: str, resource: str, context: Mapping[str, ContextValue]) -> bool:
        return (
            self.matches_action(action)
            and self.matches_resource(resource, context)
            and self.matches_condition(context)
        )


def _condition_values(statement: Statement) -> Iterator[str]:
    for keys in statement.condition.values():
        for values in keys.values():
            yield from values


def _fill(text: str, context: Mapping[str, ContextValue]) -> str | None:
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        name = match.group(1).strip()
        if name in _SPECIAL:
            return _SPECIAL[name]
        found = context.get(name.casefold())
        if not isinstance(found, str):
            missing = True
            return ""
        return found

    filled = _VARIABLE.sub(value, text)
    return None if missing else filled


def _strings(value: Any, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise PolicyError(f"{where} must be a string or a list of strings, not {item!r}")
    return tuple(out)


def statement(raw: Any, source: str = "") -> Statement:
    if not isinstance(raw, Mapping):
        raise PolicyError(f"a statement must be a mapping, not {raw!r}")
    effect = raw.get("Effect")
    if effect not in (ALLOW, DENY):
        raise PolicyError(f"Effect must be Allow or Deny, not {effect!r}")
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyError("a statement needs exactly one of Action and NotAction")
    if ("Resource" in raw) == ("NotResource" in raw):
        raise PolicyError("a statement needs exactly one of Resource and NotResource")
    not_action, not_resource = "NotAction" in raw, "NotResource" in raw
    actions = _strings(raw["NotAction" if not_action else "Action"], "Action")
    resources = _strings(raw["NotResource" if not_resource else "Resource"], "Resource")
    for name in actions:
        if name != "*" and ":" not in name:
            raise PolicyError(f"Action {name!r} is not <service>:<action>")
    condition: dict[str, dict[str, tuple[str, ...]]] = {}
    raw_condition = raw.get("Condition") or {}
    if not isinstance(raw_condition, Mapping):
        raise PolicyError("Condition must be a mapping of operators")
    for operator, keys in raw_condition.items():
        if not conditions.operator_known(str(operator)):
            raise PolicyError(f"unknown condition operator {operator!r}")
        if not isinstance(keys, Mapping):
            raise PolicyError(f"Condition {operator} must map keys to values")
        condition[str(operator)] = {
            str(key): _strings(values, f"Condition {operator} {key}")
            for key, values in keys.items()
        }
    return Statement(
        effect=str(effect),
        actions=actions,
        resources=resources,
        not_action=not_action,
        not_resource=not_resource,
        condition=condition,
        sid=str(raw.get("Sid") or ""),
        source=source,
    )


def document(raw: Any, source: str = "") -> tuple[Statement, ...]:
    """The statements of one policy document."""
    if not isinstance(raw, Mapping) or "Statement" not in raw:
        raise PolicyError(f"{source or 'a policy'}: a policy document needs a Statement")
    body = raw["Statement"]
    items: Sequence[Any] = body if isinstance(body, list) else [body]
    return tuple(statement(item, source) for item in items)
