"""JSONPath as Step Functions reads it (Jayway's dialect).

``$`` is the state's input (or the context object for ``$$``), then ``.name``,
``['name']``, ``[n]`` (negative from the end), ``[*]`` / ``.*``, ``[a:b]`` slices,
``[i,j]`` unions, ``..name`` deep scan and ``[?(@.field OP value)]`` filters. A path with a
wildcard, slice, union, scan or filter is *indefinite* and always yields a list (as
Jayway does); a definite path yields the one value, or raises ``NoMatch``.

Reference paths (``ResultPath``, ``Variable`` in a Choice rule, ``*Path`` fields) are the
definite ones; ``put`` writes into a document along one, creating objects on the way.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from dataclasses import dataclass
from typing import Any


class PathError(ValueError):
    """The text is not a JSONPath."""


class NoMatch(LookupError):
    """A definite path that does not lead to a value."""


@dataclass(frozen=True)
class Step:
    kind: str  # "key", "index", "wild", "slice", "union", "scan", "filter"
    value: Any = None


_IDENT = re.compile(r"[^.\[\]\s'\"()]+")
_FILTER = re.compile(
    r"^@((?:\.[^\s.=!<>\[\]]+|\[\d+\])*)\s*(==|!=|<=|>=|<|>)?\s*(.*?)\s*$", re.DOTALL
)


def parse(path: str) -> tuple[Step, ...]:
    """The steps of a path that starts with ``$`` (the caller strips a second ``$``)."""
    if not path.startswith("$"):
        raise PathError(f"'{path}' does not start with '$'")
    steps: list[Step] = []
    i, n = 1, len(path)
    while i < n:
        if path.startswith("..", i):
            i += 2
            match = _IDENT.match(path, i)
            if path.startswith("*", i):
                steps.append(Step("scan", None))
                i += 1
            elif match:
                steps.append(Step("scan", match.group()))
                i = match.end()
            elif path.startswith("[", i):
                steps.append(Step("scan", None))
            else:
                raise PathError(f"'{path}': a name must follow '..'")
        elif path[i] == ".":
            i += 1
            if path.startswith("*", i):
                steps.append(Step("wild"))
                i += 1
                continue
            match = _IDENT.match(path, i)
            if not match:
                raise PathError(f"'{path}': a name must follow '.'")
            steps.append(Step("key", match.group()))
            i = match.end()
        elif path[i] == "[":
            step, i = _bracket(path, i + 1)
            steps.append(step)
        else:
            raise PathError(f"'{path}': unexpected '{path[i]}' at {i}")
    return tuple(steps)


def _bracket(path: str, i: int) -> tuple[Step, int]:
    if path.startswith("?(", i):
        depth, j = 0, i + 1
        while j < len(path):
            if path[j] == "(":
                depth += 1
            elif path[j] == ")":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        if j >= len(path) or not path.startswith("]", j + 1):
            raise PathError(f"'{path}': an unclosed filter")
        return Step("filter", _filter(path[i + 2 : j])), j + 2
    end = path.find("]", i)
    if end < 0:
        raise PathError(f"'{path}': an unclosed '['")
    inner = path[i:end].strip()
    if inner.startswith(("'", '"')):
        names = [_unquote(part.strip(), path) for part in _split_quoted(inner)]
        if len(names) == 1:
            return Step("key", names[0]), end + 1
        return Step("union", tuple(names)), end + 1
    if inner == "*":
        return Step("wild"), end + 1
    if ":" in inner:
        parts = inner.split(":")
        try:
            bounds = tuple(int(p) if p.strip() else None for p in parts[:2])
        except ValueError as exc:
            raise PathError(f"'{path}': a bad slice [{inner}]") from exc
        return Step("slice", bounds), end + 1
    try:
        indexes = tuple(int(p) for p in inner.split(","))
    except ValueError as exc:
        raise PathError(f"'{path}': a bad index [{inner}]") from exc
    if len(indexes) == 1:
        return Step("index", indexes[0]), end + 1
    return Step("union", indexes), end + 1


def _split_quoted(inner: str) -> list[str]:
    parts, current, quote = [], "", ""
    for char in inner:
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            current += char
        elif char == ",":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def _unquote(text: str, path: str) -> str:
    if len(text) < 2 or text[0] != text[-1] or text[0] not in "'\"":
        raise PathError(f"'{path}': a bad quoted name {text}")
    return text[1:-1]


def _filter(text: str) -> tuple[tuple[str, ...], str | None, Any]:
    match = _FILTER.match(text.strip())
    if not match:
        raise PathError(f"a filter Step Functions cannot read: {text}")
    fields = tuple(f for f in re.split(r"\.|\[|\]", match.group(1)) if f)
    operator = match.group(2)
    literal: Any = None
    if operator:
        raw = match.group(3)
        if raw.startswith("'") and raw.endswith("'"):
            literal = raw[1:-1]
        else:
            try:
                literal = json.loads(raw)
            except ValueError as exc:
                raise PathError(f"a filter value Step Functions cannot read: {raw}") from exc
    return fields, operator, literal


def is_definite(steps: tuple[Step, ...]) -> bool:
    return all(step.kind in ("key", "index") for step in steps)


def read(document: Any, path: str) -> Any:
    """The value at ``path``; a list for an indefinite path. Raises ``NoMatch``."""
    steps = parse(path)
    found = _walk([document], steps)
    if is_definite(steps):
        if not found:
            raise NoMatch(path)
        return found[0]
    return found


def _walk(nodes: list[Any], steps: tuple[Step, ...]) -> list[Any]:
    for step in steps:
        nodes = [child for node in nodes for child in _apply(node, step)]
    return nodes


def _apply(node: Any, step: Step) -> list[Any]:
    kind, value = step.kind, step.value
    if kind == "key":
        return [node[value]] if isinstance(node, dict) and value in node else []
    if kind == "index":
        if isinstance(node, list) and -len(node) <= value < len(node):
            return [node[value]]
        return []
    if kind == "wild":
        if isinstance(node, dict):
            return list(node.values())
        return list(node) if isinstance(node, list) else []
    if kind == "slice":
        return node[value[0] : value[1]] if isinstance(node, list) else []
    if kind == "union":
        return [child for part in value for child in _apply(node, _single(part))]
    if kind == "scan":
        return _scan(node, value)
    return [item for item in _children(node) if _test(item, value)]


def _single(part: Any) -> Step:
    return Step("index", part) if isinstance(part, int) else Step("key", part)


def _children(node: Any) -> list[Any]:
    if isinstance(node, list):
        return node
    if isinstance(node, dict):
        return list(node.values())
    return []


def _scan(node: Any, name: str | None) -> list[Any]:
    found: list[Any] = []
    if isinstance(node, dict):
        if name is None:
            found.extend(node.values())
        elif name in node:
            found.append(node[name])
    elif isinstance(node, list) and name is None:
        found.extend(node)
    for child in _children(node):
        found.extend(_scan(child, name))
    return found


def _test(item: Any, condition: tuple[tuple[str, ...], str | None, Any]) -> bool:
    fields, operator, literal = condition
    value = item
    for name in fields:
        if isinstance(value, dict) and name in value:
            value = value[name]
        elif isinstance(value, list) and name.lstrip("-").isdigit():
            index = int(name)
            if not -len(value) <= index < len(value):
                return False
            value = value[index]
        else:
            return False
    if operator is None:
        return True  # [?(@.field)]: the field exists
    try:
        if operator == "==":
            return bool(value == literal)
        if operator == "!=":
            return bool(value != literal)
        if isinstance(value, bool) or isinstance(literal, bool):
            return False
        if operator == "<":
            return bool(value < literal)
        if operator == "<=":
            return bool(value <= literal)
        if operator == ">":
            return bool(value > literal)
        return bool(value >= literal)
    except TypeError:
        return False


def canonical(path: str) -> str:
    """``$.a.b[0]`` -> ``$['a']['b'][0]``: how AWS's messages print a path."""
    try:
        steps = parse(path)
    except PathError:
        return path
    text = "$"
    for step in steps:
        if step.kind == "key":
            text += f"['{step.value}']"
        elif step.kind == "index":
            text += f"[{step.value}]"
        elif step.kind == "wild":
            text += "[*]"
        else:
            return path
    return text


def put(document: Any, path: str, value: Any) -> Any:
    """``document`` with ``value`` at the reference path (a new document; ``$`` replaces it).

    Raises ``NoMatch`` when the path runs through something that is not an object (AWS's
    States.ResultPathMatchFailure).
    """
    steps = parse(path)
    if not is_definite(steps):
        raise PathError(f"'{path}' is not a reference path")
    if not steps:
        return value
    result = copy.deepcopy(document)
    if not isinstance(result, dict | list):
        raise NoMatch(path)
    node: Any = result
    for step, following in itertools.pairwise(steps):
        node = _descend(node, step, following, path)
    last = steps[-1]
    in_list = isinstance(node, list) and -len(node) <= last.value < len(node)
    if (last.kind == "key" and isinstance(node, dict)) or (last.kind == "index" and in_list):
        node[last.value] = value
    else:
        raise NoMatch(path)
    return result


def _descend(node: Any, step: Step, following: Step, path: str) -> Any:
    if step.kind == "key" and isinstance(node, dict):
        child = node.get(step.value)
        if child is None:
            child = {} if following.kind == "key" else []
            node[step.value] = child
        if not isinstance(child, dict | list):
            raise NoMatch(path)
        return child
    if step.kind == "index" and isinstance(node, list) and -len(node) <= step.value < len(node):
        child = node[step.value]
        if not isinstance(child, dict | list):
            raise NoMatch(path)
        return child
    raise NoMatch(path)
