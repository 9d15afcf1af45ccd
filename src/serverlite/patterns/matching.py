"""The EventBridge event pattern language: compile once, match many events.

    pattern = compile_pattern('{"source": ["shop"], "detail": {"total": [{"numeric": [">", 0]}]}}')
    pattern.matches(event)        # event: a dict, or the event's JSON text

``compile_pattern`` raises ``PatternError`` (AWS's reason in ``.reason``) exactly
where EventBridge's PutRule answers ``InvalidEventPatternException``. SQS event
filtering and SNS filter policies use the same language, so they reuse this.

Matching follows AWS's rules:
- every field named in the pattern must match (AND); the values listed for a field
  are alternatives (OR); ``$or`` makes whole sub-patterns alternatives;
- arrays in the event are matched element by element (any element may match), and
  fields under the same array element must come from that same element, as AWS's
  "array-consistent" matching requires;
- ``{"exists": false}`` holds when the field has no leaf value; under an array it
  must hold in the element that the pattern's other fields matched, or in every
  element when nothing else constrains the choice;
- an object is not a leaf: ``{"exists": true}`` does not match a field whose value
  is an object, and ``{"exists": false}`` does;
- a field is its path of names joined with dots, so a dotted key (``"state.status"``)
  and the nested form (``"state": {"status": ...}``) are the same field, in events and
  in patterns alike (EventBridge's "Considerations when creating event patterns";
  observed on AWS both ways). SNS filter policies keep dotted names whole
  (``dotted_keys=False``): a message attribute may be called ``customer.interests``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .syntax import Branch, Leaf, Pairs, PatternError, compile_branches, parse_json

__all__ = ["Pattern", "PatternError", "compile_pattern", "parse_event"]

_MISSING = object()


@dataclass
class _Node:
    """The fields of one object level of a branch (a trie over field paths)."""

    leaf: Leaf | None = None
    children: dict[str, _Node] = field(default_factory=dict)
    needs_value: bool = False  # some field below requires a value to be present

    def add(self, path: tuple[str, ...], leaf: Leaf) -> None:
        node = self
        for key in path:
            node = node.children.setdefault(key, _Node())
        node.leaf = leaf

    def finish(self) -> bool:
        below = [child.finish() for child in self.children.values()]
        self.needs_value = any(below) or (self.leaf is not None and not self.leaf.test(()))
        return self.needs_value


class Pattern:
    """A compiled event pattern."""

    def __init__(self, branches: list[Branch], *, dotted_keys: bool = True) -> None:
        self._dotted = dotted_keys
        self._roots: list[_Node] = []
        for branch in branches:
            root = _Node()
            for path, leaf in branch.items():
                root.add(_split(path) if dotted_keys else path, leaf)
            root.finish()
            self._roots.append(root)

    def matches(self, event: dict[str, Any] | str) -> bool:
        """Does the event (a dict, or JSON text: numbers then keep their spelling) match?"""
        if isinstance(event, str | bytes):
            event = parse_event(event)
        if self._dotted:
            event = expand_dotted(event)
        return any(_match_object(root, event) for root in self._roots)


def compile_pattern(pattern: dict[str, Any] | str) -> Pattern:
    """Validate and compile a pattern (a dict, or its JSON text); raises PatternError."""
    return Pattern(compile_branches(pattern))


def _split(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(part for key in path for part in key.split("."))


def expand_dotted(value: Any) -> Any:
    """The event with every dotted key nested (``{"a.b": 1}`` -> ``{"a": {"b": 1}}``).

    Returns the same object when no key has a dot. Where a dotted key meets a field
    already there, objects merge and other values are both kept, as alternatives.
    """
    if not _has_dotted_key(value):
        return value
    return _expanded(value)


def _has_dotted_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any("." in key or _has_dotted_key(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_dotted_key(item) for item in value)
    return False


def _expanded(value: Any) -> Any:
    if isinstance(value, list):
        return [_expanded(item) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        _insert(result, key.split("."), _expanded(item))
    return result


def _insert(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        existing = target.get(part, _MISSING)
        if isinstance(existing, dict):
            target = existing
            continue
        nested: dict[str, Any] = {}
        target[part] = nested if existing is _MISSING else _both(existing, nested)
        target = nested
    last = parts[-1]
    existing = target.get(last, _MISSING)
    if existing is _MISSING:
        target[last] = value
    elif isinstance(existing, dict) and isinstance(value, dict):
        for key, item in value.items():
            _insert(existing, [key], item)
    else:
        target[last] = _both(existing, value)


def _both(first: Any, second: Any) -> list[Any]:
    return [*first, second] if isinstance(first, list) else [first, second]


def parse_event(text: str | bytes) -> Any:
    """An event's JSON text, numbers kept with their original spelling."""
    value = parse_json(text.decode() if isinstance(text, bytes) else text)
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, Pairs):
        return {key: _plain(item) for key, item in value}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _match_object(node: _Node, obj: Any) -> bool:
    for key, child in node.children.items():
        value = obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING
        if child.leaf is not None and not child.leaf.test(list(_scalars(value))):
            return False
        if child.children:
            objects = list(_objects(value))
            if child.needs_value:
                if not any(_match_object(child, item) for item in objects):
                    return False
            elif not all(_match_object(child, item) for item in objects):
                return False
    return True


def _scalars(value: Any) -> Iterator[Any]:
    """Leaf values: the value itself, or the non-object members of (nested) arrays."""
    if value is _MISSING or isinstance(value, dict):
        return
    if isinstance(value, list):
        for item in value:
            yield from _scalars(item)
        return
    yield value


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _objects(item)
