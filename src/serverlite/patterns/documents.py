"""Events as the matcher reads them: parsed JSON, dotted keys nested, leaves and objects.

Events are user input of any shape, so nothing here recurses on the event's depth:
every walk keeps its own stack, and a document too deep for the JSON parser is a
``ValueError`` like any other unreadable text.
"""

from __future__ import annotations

import json
from typing import Any

from .matchers import JsonNumber

__all__ = ["Expanded", "expand_dotted", "leaves", "objects", "parse_event"]

_MISSING = object()


def parse_event(text: str | bytes) -> Any:
    """An event's JSON text, numbers kept with their original spelling."""
    try:
        return json.loads(text, parse_float=JsonNumber, parse_int=JsonNumber)
    except RecursionError:
        raise ValueError("the document is nested too deeply to read") from None


def leaves(value: Any) -> list[Any]:
    """Leaf values: the value itself, or the non-object members of (nested) arrays."""
    found: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif not isinstance(item, dict):
            found.append(item)
    return found


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects: the value itself, or the object members of (nested) arrays."""
    found: list[dict[str, Any]] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            found.append(item)
    return found


class Expanded(dict[str, Any]):
    """An event whose dotted keys are already nested: matched as it is, by any pattern.

    Expanding walks the whole event; a router matching one event against many rules
    expands it once (``expand_dotted``) instead of once per rule.
    """


def expand_dotted(value: Any) -> Any:
    """The event with every dotted key nested (``{"a.b": 1}`` -> ``{"a": {"b": 1}}``).

    An object comes back as ``Expanded``. Where a dotted key meets a field already
    there, objects merge and other values are both kept, as alternatives.
    """
    if isinstance(value, Expanded):
        return value
    expanded = _Expansion().run(value) if _has_dotted_key(value) else value
    return Expanded(expanded) if isinstance(expanded, dict) else expanded


def _has_dotted_key(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if any("." in key for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class _Expansion:
    """Copies a document, nesting dotted keys; containers are filled from a work stack."""

    def __init__(self) -> None:
        self._work: list[tuple[Any, Any]] = []  # (source container, target container)

    def run(self, value: Any) -> Any:
        result = self._shell(value)
        while self._work:
            source, target = self._work.pop()
            if isinstance(source, dict):
                for key, item in source.items():
                    self._place(target, key.split("."), item)
            else:
                target.extend(self._shell(item) for item in source)
        return result

    def _shell(self, value: Any) -> Any:
        """An empty copy of a container, to be filled later; a scalar as it is."""
        if isinstance(value, dict):
            copy: dict[str, Any] = {}
            self._work.append((value, copy))
            return copy
        if isinstance(value, list):
            items: list[Any] = []
            self._work.append((value, items))
            return items
        return value

    def _place(self, target: dict[str, Any], parts: list[str], item: Any) -> None:
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
            target[last] = self._shell(item)
        elif isinstance(existing, dict) and isinstance(item, dict):
            self._work.append((item, existing))  # merge into the object already there
        else:
            target[last] = _both(existing, self._shell(item))


def _both(first: Any, second: Any) -> list[Any]:
    return [*first, second] if isinstance(first, list) else [first, second]
