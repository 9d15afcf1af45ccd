"""Applying an UpdateExpression to an item.

As on DynamoDB, every operand is read from the item as it was before the update
(``SET a = b, b = a`` swaps), list elements removed from one list go from the highest
index down, and a SET past the end of a list appends. The original item is never
modified; the result is a new item.
"""

from __future__ import annotations

import copy

from ..errors import validation
from ..types import AttributeValue, Item, add_numbers, type_of
from . import ast
from .evaluate import get_path

INVALID_PATH = "The document path provided in the update expression is invalid for update"
MISSING_ATTRIBUTE = "The provided expression refers to an attribute that does not exist in the item"
WRONG_TYPE = "An operand in the update expression has an incorrect data type"


def _term(item: Item, node: ast.Operand) -> AttributeValue:
    if isinstance(node, ast.Value):
        return node.value
    if isinstance(node, ast.Path):
        value = get_path(item, node)
        if value is None:
            raise validation(MISSING_ATTRIBUTE)
        return value
    if isinstance(node, ast.Arithmetic):
        left, right = _term(item, node.left), _term(item, node.right)
        if type_of(left) != "N" or type_of(right) != "N":
            raise validation(WRONG_TYPE)
        return {"N": add_numbers(left["N"], right["N"], subtract=node.op == "-")}
    assert isinstance(node, ast.Function)
    if node.name == "if_not_exists":
        path = node.args[0]
        assert isinstance(path, ast.Path)
        existing = get_path(item, path)
        return existing if existing is not None else _term(item, node.args[1])
    # list_append
    first, second = _term(item, node.args[0]), _term(item, node.args[1])
    if type_of(first) != "L" or type_of(second) != "L":
        raise validation(WRONG_TYPE)
    return {"L": [*first["L"], *second["L"]]}


def _parent(item: Item, path: ast.Path) -> AttributeValue | None:
    """The container holding the path's last element (None for a top-level path)."""
    if len(path.elements) == 1:
        return None
    parent = get_path(item, ast.Path(path.elements[:-1]))
    if parent is None:
        raise validation(INVALID_PATH)
    return parent


def _set(item: Item, path: ast.Path, value: AttributeValue) -> None:
    parent = _parent(item, path)
    last = path.elements[-1]
    if parent is None:
        assert isinstance(last, str)
        item[last] = value
    elif isinstance(last, str):
        if "M" not in parent:
            raise validation(INVALID_PATH)
        parent["M"][last] = value
    else:
        if "L" not in parent:
            raise validation(INVALID_PATH)
        elements = parent["L"]
        if last >= len(elements):
            elements.append(value)
        else:
            elements[last] = value


def _remove(item: Item, path: ast.Path) -> None:
    last = path.elements[-1]
    if len(path.elements) == 1:
        assert isinstance(last, str)
        item.pop(last, None)
        return
    parent = get_path(item, ast.Path(path.elements[:-1]))
    if parent is None:
        raise validation(INVALID_PATH)
    if isinstance(last, str):
        if "M" not in parent:
            raise validation(INVALID_PATH)
        parent["M"].pop(last, None)
    else:
        if "L" not in parent:
            raise validation(INVALID_PATH)
        if last < len(parent["L"]):
            del parent["L"][last]


def _add(item: Item, path: ast.Path, value: AttributeValue) -> None:
    existing = get_path(item, path)
    if existing is None:
        _set(item, path, value)
        return
    kind = type_of(value)
    if type_of(existing) != kind:
        raise validation(WRONG_TYPE)
    if kind == "N":
        _set(item, path, {"N": add_numbers(existing["N"], value["N"])})
        return
    members = list(existing[kind])
    present = set(members)
    members += [m for m in value[kind] if m not in present]
    _set(item, path, {kind: members})


def _delete(item: Item, path: ast.Path, value: AttributeValue) -> None:
    existing = get_path(item, path)
    if existing is None:
        return
    kind = type_of(value)
    if type_of(existing) != kind:
        raise validation(WRONG_TYPE)
    removed = set(value[kind])
    members = [m for m in existing[kind] if m not in removed]
    if members:
        _set(item, path, {kind: members})
    else:
        # DynamoDB has no empty sets: deleting the last member removes the attribute.
        _remove(item, path)


def apply(update: ast.Update, item: Item) -> Item:
    """The item after the update (a new object; ``item`` is left as it was)."""
    values = [
        _term(item, action.value) if isinstance(action, ast.SetAction) else None
        for action in update.actions
    ]
    result = copy.deepcopy(item)
    removals: list[ast.Path] = []
    for action, value in zip(update.actions, values, strict=True):
        if isinstance(action, ast.SetAction):
            assert value is not None
            _set(result, action.path, copy.deepcopy(value))
        elif isinstance(action, ast.RemoveAction):
            removals.append(action.path)
        elif isinstance(action, ast.AddAction):
            _add(result, action.path, action.value.value)
        else:
            _delete(result, action.path, action.value.value)
    # Highest list index first, so removing one element does not shift the others.
    removals.sort(key=lambda p: [(-e if isinstance(e, int) else 0) for e in p.elements])
    for path in removals:
        _remove(result, path)
    return result
