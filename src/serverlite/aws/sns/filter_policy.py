"""Subscription filter policies: SNS's rules over the EventBridge pattern matcher.

SNS filter policies are written in the event pattern language
(``serverlite.patterns``), with SNS's own rules on top:

- scope ``MessageAttributes`` (the default) matches the message attributes, each
  read by its type: a String as a string, a Number as a number (so ``numeric`` and
  numeric ``anything-but`` apply to Numbers only), a String.Array as its JSON array
  (any element may match); Binary attributes are ignored, and a message without
  attributes matches no policy (not even ``{"exists": false}``, as AWS documents);
  the policy must be flat (no nested keys);
- scope ``MessageBody`` matches the message read as a JSON object (nesting allowed);
  a message that is not a JSON object matches nothing;
- at most 5 keys (attributes scope: every key; body scope: the top-level keys) and
  at most 150 value combinations (the product of the value counts, summed over
  ``$or`` alternatives);
- ``wildcard`` is EventBridge's alone: SNS refuses it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from serverlite.patterns import Pattern, parse_event
from serverlite.patterns.matchers import JsonNumber
from serverlite.patterns.syntax import Pairs, PatternError, compile_branches, parse_json

from . import errors
from .message_attributes import Attributes

ATTRIBUTES = "MessageAttributes"
BODY = "MessageBody"
SCOPES = (ATTRIBUTES, BODY)
MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024
_NOT_IN_SNS = ("wildcard",)


@dataclass(frozen=True)
class FilterPolicy:
    text: str
    scope: str
    pattern: Pattern

    def matches(self, message: str, attributes: Attributes) -> bool:
        if self.scope == BODY:
            return self._matches_body(message)
        event = attribute_event(attributes)
        return event is not None and bool(event) and self.pattern.matches(event)

    def _matches_body(self, message: str) -> bool:
        try:
            body = parse_event(message)
        except (ValueError, RecursionError):
            return False
        return isinstance(body, dict) and self.pattern.matches(body)


def compile_policy(text: str, scope: str = ATTRIBUTES) -> FilterPolicy:
    """Check and compile a policy; InvalidParameter ("FilterPolicy: <reason>") if AWS refuses."""
    if scope not in SCOPES:
        raise errors.invalid(
            f"FilterPolicyScope: Invalid value [{scope}]. Please use either MessageBody or "
            "MessageAttributes"
        )
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise errors.invalid("FilterPolicy: Filter policy is too long")
    try:
        parsed = parse_json(text)
    except ValueError as exc:
        raise errors.invalid(f"FilterPolicy: failed to parse JSON. {exc}") from exc
    if not isinstance(parsed, Pairs):
        raise errors.invalid("FilterPolicy: Filter policy must be a JSON object")
    _refuse_operators(parsed)
    try:
        branches = compile_branches(parsed)
    except PatternError as exc:
        raise errors.invalid(f"FilterPolicy: {exc.reason}") from exc
    if scope == ATTRIBUTES and any(len(path) > 1 for branch in branches for path in branch):
        raise errors.invalid(
            "Filter policy scope MessageAttributes does not support nested filter policy"
        )
    keys = {path[0] for branch in branches for path in branch}
    if len(keys) > MAX_KEYS:
        raise errors.invalid(f"FilterPolicy: Filter policy can not have more than {MAX_KEYS} keys")
    combinations = sum(_combinations(branch) for branch in branches)
    if combinations > MAX_COMBINATIONS:
        raise errors.invalid("FilterPolicy: Filter policy is too complex")
    # SNS names attributes freely ("customer.interests"): a dotted key stays one key
    return FilterPolicy(text, scope, Pattern(branches, dotted_keys=False))


def _combinations(branch: dict[Any, Any]) -> int:
    total = 1
    for leaf in branch.values():
        total *= max(1, len(leaf.matchers) + int(leaf.exists) + int(leaf.absent))
    return total


def _refuse_operators(value: Any) -> None:
    for key, _ in _walk(value):
        if key in _NOT_IN_SNS:
            raise errors.invalid(f"FilterPolicy: Unrecognized match type {key}")


def _walk(value: Any) -> Iterator[tuple[str, Any]]:
    """Every key of the policy with its value, at any depth (its own stack: a policy may
    nest as deep as the JSON reader allows)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Pairs):
            for key, inner in item:
                yield key, inner
                stack.append(inner)
        elif isinstance(item, list):
            stack.extend(item)


def attribute_event(attributes: Attributes) -> dict[str, Any] | None:
    """The attributes as the matcher sees them; None when a String.Array is unreadable."""
    event: dict[str, Any] = {}
    for name, attribute in attributes.items():
        base = attribute.base_type
        if base == "Binary":
            continue  # SNS ignores Binary attributes when filtering
        if attribute.data_type == "String.Array":
            try:
                value = parse_event(attribute.value)
            except (ValueError, RecursionError):
                return None
            if not isinstance(value, list):
                return None
            event[name] = value
        elif base == "Number":
            event[name] = JsonNumber(attribute.value.strip())
        else:
            event[name] = attribute.value
    return event
