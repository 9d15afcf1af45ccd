"""The legacy (pre-expression) parameters, translated into expression trees.

Expected, KeyConditions, QueryFilter, ScanFilter and ConditionalOperator become a
``Condition``; AttributeUpdates an ``Update``; AttributesToGet a projection. They name
top-level attributes only, so any attribute name works (no reserved words).
"""

from __future__ import annotations

from typing import Any

from .errors import validation
from .expressions import ast
from .types import canonical_value

_COMPARE = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_ARGUMENTS = {
    "EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0,
    "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "IN": None, "BETWEEN": 2,
}  # fmt: skip


def _values(raw: Any) -> tuple[ast.Value, ...]:
    return tuple(ast.Value(":legacy", canonical_value(v)) for v in raw or [])


def _comparison(name: str, operator: str, raw_values: Any) -> ast.Condition:
    if operator not in _ARGUMENTS:
        raise validation(
            f"1 validation error detected: Value '{operator}' at 'comparisonOperator' failed "
            "to satisfy constraint: Member must satisfy enum value set: "
            "[IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, "
            "GE, CONTAINS]"
        )
    values = _values(raw_values)
    wanted = _ARGUMENTS[operator]
    if (wanted is not None and len(values) != wanted) or (wanted is None and not values):
        raise validation(
            "One or more parameter values were invalid: Invalid number of argument(s) for the "
            f"{operator} ComparisonOperator"
        )
    path = ast.Path((name,))
    if operator in _COMPARE:
        return ast.Compare(_COMPARE[operator], path, values[0])
    if operator == "NOT_NULL":
        return ast.Call("attribute_exists", (path,))
    if operator == "NULL":
        return ast.Call("attribute_not_exists", (path,))
    if operator == "CONTAINS":
        return ast.Call("contains", (path, values[0]))
    if operator == "NOT_CONTAINS":
        return ast.And(
            ast.Call("attribute_exists", (path,)),
            ast.Not(ast.Call("contains", (path, values[0]))),
        )
    if operator == "BEGINS_WITH":
        return ast.Call("begins_with", (path, values[0]))
    if operator == "IN":
        return ast.In(path, values)
    return ast.Between(path, values[0], values[1])


def _combine(conditions: list[ast.Condition], operator: Any) -> ast.Condition:
    if operator not in (None, "AND", "OR"):
        raise validation(
            f"1 validation error detected: Value '{operator}' at 'conditionalOperator' failed "
            "to satisfy constraint: Member must satisfy enum value set: [AND, OR]"
        )
    result = conditions[0]
    for condition in conditions[1:]:
        result = ast.Or(result, condition) if operator == "OR" else ast.And(result, condition)
    return result


def filters(spec: Any, operator: Any = None) -> ast.Condition:
    """KeyConditions, QueryFilter, ScanFilter: {name: {ComparisonOperator, AttributeValueList}}."""
    if not isinstance(spec, dict) or not spec:
        raise validation("1 validation error detected: conditions must not be empty")
    return _combine(
        [
            _comparison(name, c.get("ComparisonOperator"), c.get("AttributeValueList"))
            for name, c in spec.items()
        ],
        operator,
    )


def expected(spec: Any, operator: Any = None) -> ast.Condition:
    """Expected: {name: {Value, Exists} | {ComparisonOperator, AttributeValueList}}."""
    if not isinstance(spec, dict) or not spec:
        raise validation("1 validation error detected: Expected must not be empty")
    conditions: list[ast.Condition] = []
    for name, condition in spec.items():
        path = ast.Path((name,))
        if "ComparisonOperator" in condition:
            conditions.append(
                _comparison(
                    name, condition["ComparisonOperator"], condition.get("AttributeValueList")
                )
            )
        elif condition.get("Exists", True) is False:
            if "Value" in condition:
                raise validation(
                    "One or more parameter values were invalid: Value cannot be used when "
                    "Exists is false"
                )
            conditions.append(ast.Call("attribute_not_exists", (path,)))
        elif "Value" in condition:
            value = ast.Value(":legacy", canonical_value(condition["Value"]))
            conditions.append(ast.Compare("=", path, value))
        else:
            raise validation(
                "One or more parameter values were invalid: Value must be provided when Exists "
                f"is true for Attribute: {name}"
            )
    return _combine(conditions, operator)


def attribute_updates(spec: Any) -> ast.Update:
    """AttributeUpdates: {name: {Action: PUT | ADD | DELETE, Value}}."""
    if not isinstance(spec, dict):
        raise validation("AttributeUpdates must be a map")
    actions: list[ast.Action] = []
    for name, update in spec.items():
        path = ast.Path((name,))
        action = update.get("Action", "PUT")
        raw = update.get("Value")
        value = ast.Value(":legacy", canonical_value(raw)) if raw is not None else None
        if action == "PUT":
            if value is None:
                raise validation(
                    "One or more parameter values were invalid: Only DELETE action is allowed "
                    "when no attribute value is specified"
                )
            actions.append(ast.SetAction(path, value))
        elif action == "DELETE":
            actions.append(
                ast.RemoveAction(path) if value is None else ast.DeleteAction(path, value)
            )
        elif action == "ADD":
            if value is None:
                raise validation(
                    "One or more parameter values were invalid: Only DELETE action is allowed "
                    "when no attribute value is specified"
                )
            if "L" in value.value:
                # Legacy ADD appends to a list; the expression language spells it so.
                empty = ast.Value(":legacy", {"L": []})
                existing = ast.Function("if_not_exists", (path, empty))
                actions.append(ast.SetAction(path, ast.Function("list_append", (existing, value))))
            else:
                actions.append(ast.AddAction(path, value))
        else:
            raise validation(
                f"1 validation error detected: Value '{action}' at 'attributeUpdates.{name}."
                "member.action' failed to satisfy constraint: Member must satisfy enum value "
                "set: [ADD, PUT, DELETE]"
            )
    return ast.Update(tuple(actions))


def attributes_to_get(names: Any) -> tuple[ast.Path, ...]:
    if not isinstance(names, list) or not names:
        raise validation(
            "1 validation error detected: Value '[]' at 'attributesToGet' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1"
        )
    if len(set(names)) != len(names):
        raise validation(
            f"One or more parameter values were invalid: Duplicate value in attribute name: "
            f"{next(n for n in names if names.count(n) > 1)}"
        )
    return tuple(ast.Path((str(name),)) for name in names)
