"""Evaluating conditions (ConditionExpression, FilterExpression) against an item.

DynamoDB's rules, which differ from most languages:
- a comparison with a missing attribute, or between values of different types, is
  false; ``<>`` is its negation, so ``a <> :v`` is true when ``a`` is missing;
- ordering (``<``, ``BETWEEN``) applies to S, N and B only; anything else is false;
- ``size`` of a number, boolean or null is undefined, so comparisons with it are false.
"""

from __future__ import annotations

from ..types import AttributeValue, Item, compare, decode_binary, equal, type_of, value_size
from . import ast


def get_path(item: Item, path: ast.Path) -> AttributeValue | None:
    elements = path.elements
    current = item.get(elements[0])  # type: ignore[arg-type]
    for element in elements[1:]:
        if current is None:
            return None
        if isinstance(element, str):
            members = current.get("M")
            current = None if members is None else members.get(element)
        else:
            values = current.get("L")
            current = None if values is None or element >= len(values) else values[element]
    return current


def size_of(value: AttributeValue | None) -> AttributeValue | None:
    if value is None:
        return None
    kind, data = next(iter(value.items()))
    if kind == "S":
        return {"N": str(len(data))}
    if kind == "B":
        return {"N": str(value_size(value))}
    if kind in ("SS", "NS", "BS", "L", "M"):
        return {"N": str(len(data))}
    return None


def operand(item: Item, node: ast.Operand) -> AttributeValue | None:
    if isinstance(node, ast.Path):
        return get_path(item, node)
    if isinstance(node, ast.Value):
        return node.value
    if isinstance(node, ast.Function) and node.name == "size":
        arg = node.args[0]
        assert isinstance(arg, ast.Path)
        return size_of(get_path(item, arg))
    raise AssertionError(f"not a condition operand: {node!r}")


def _ordered(op: str, left: AttributeValue | None, right: AttributeValue | None) -> bool:
    if left is None or right is None:
        return False
    order = compare(left, right)
    if order is None:
        return False
    if op == "<":
        return order < 0
    if op == "<=":
        return order <= 0
    if op == ">":
        return order > 0
    return order >= 0


def _equal(left: AttributeValue | None, right: AttributeValue | None) -> bool:
    return left is not None and right is not None and equal(left, right)


def _begins_with(target: AttributeValue | None, prefix: AttributeValue | None) -> bool:
    if target is None or prefix is None:
        return False
    kind = type_of(target)
    if kind != type_of(prefix):
        return False
    if kind == "S":
        return bool(target["S"].startswith(prefix["S"]))
    if kind == "B":
        return decode_binary(target["B"]).startswith(decode_binary(prefix["B"]))
    return False


def _contains(target: AttributeValue | None, member: AttributeValue | None) -> bool:
    if target is None or member is None:
        return False
    kind, data = next(iter(target.items()))
    member_kind = type_of(member)
    if kind == "S":
        return member_kind == "S" and member["S"] in data
    if kind in ("SS", "NS", "BS"):
        return member_kind == kind[0] and member[member_kind] in data
    if kind == "L":
        return any(equal(element, member) for element in data)
    return False


def _call(item: Item, node: ast.Call) -> bool:
    path = node.args[0]
    assert isinstance(path, ast.Path)
    target = get_path(item, path)
    if node.name == "attribute_exists":
        return target is not None
    if node.name == "attribute_not_exists":
        return target is None
    second = operand(item, node.args[1])
    if node.name == "attribute_type":
        return target is not None and second is not None and type_of(target) == second.get("S")
    if node.name == "begins_with":
        return _begins_with(target, second)
    return _contains(target, second)


def evaluate(condition: ast.Condition, item: Item | None) -> bool:
    item = item or {}
    if isinstance(condition, ast.And):
        return evaluate(condition.left, item) and evaluate(condition.right, item)
    if isinstance(condition, ast.Or):
        return evaluate(condition.left, item) or evaluate(condition.right, item)
    if isinstance(condition, ast.Not):
        return not evaluate(condition.operand, item)
    if isinstance(condition, ast.Compare):
        left, right = operand(item, condition.left), operand(item, condition.right)
        if condition.op == "=":
            return _equal(left, right)
        if condition.op == "<>":
            return not _equal(left, right)
        return _ordered(condition.op, left, right)
    if isinstance(condition, ast.Between):
        value = operand(item, condition.operand)
        low, high = operand(item, condition.low), operand(item, condition.high)
        return _ordered(">=", value, low) and _ordered("<=", value, high)
    if isinstance(condition, ast.In):
        value = operand(item, condition.operand)
        return any(_equal(value, operand(item, choice)) for choice in condition.choices)
    return _call(item, condition)


def paths_in(node: ast.Condition | ast.Operand) -> list[ast.Path]:
    """Every document path a condition reads (for key-attribute checks)."""
    if isinstance(node, ast.Path):
        return [node]
    if isinstance(node, ast.Value):
        return []
    if isinstance(node, (ast.And, ast.Or)):
        return paths_in(node.left) + paths_in(node.right)
    if isinstance(node, ast.Not):
        return paths_in(node.operand)
    if isinstance(node, ast.Compare):
        return paths_in(node.left) + paths_in(node.right)
    if isinstance(node, ast.Between):
        return paths_in(node.operand) + paths_in(node.low) + paths_in(node.high)
    if isinstance(node, ast.In):
        return [p for n in (node.operand, *node.choices) for p in paths_in(n)]
    if isinstance(node, ast.Arithmetic):
        return paths_in(node.left) + paths_in(node.right)
    return [p for arg in node.args for p in paths_in(arg)]
