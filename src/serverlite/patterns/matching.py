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

from dataclasses import dataclass, field
from typing import Any

from .documents import expand_dotted, leaves, objects, parse_event
from .syntax import Branch, Leaf, PatternError, compile_branches

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


def _match_object(node: _Node, obj: Any) -> bool:
    for key, child in node.children.items():
        value = obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING
        if child.leaf is not None and not child.leaf.test(
            [] if value is _MISSING else leaves(value)
        ):
            return False
        if child.children:
            found = [] if value is _MISSING else objects(value)
            if child.needs_value:
                if not any(_match_object(child, item) for item in found):
                    return False
            elif not all(_match_object(child, item) for item in found):
                return False
    return True
