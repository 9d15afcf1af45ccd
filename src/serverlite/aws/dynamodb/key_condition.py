"""A Query's key condition: an equality on the partition key, and at most one
condition on the sort key, turned into a partition value and a sort-key byte range.

    pk = :p [AND (sk = | < | <= | > | >= :v | sk BETWEEN :a AND :b | begins_with(sk, :s))]
"""

from __future__ import annotations

from dataclasses import dataclass

from serverlite.aws.backend import AwsError

from .encoding import encode_key, prefix_successor
from .errors import invalid_parameter, validation
from .expressions import ast
from .storage import Bounds
from .types import AttributeValue, type_of

_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NOT_SUPPORTED = "Query key condition not supported"


@dataclass(frozen=True)
class KeyRange:
    partition: AttributeValue
    bounds: Bounds


def _error(message: str) -> AwsError:
    return validation(message)


def _conditions(node: ast.Condition) -> list[ast.Condition]:
    if isinstance(node, ast.And):
        return _conditions(node.left) + _conditions(node.right)
    if isinstance(node, ast.Or):
        raise _error("Invalid operator used in KeyConditionExpression: OR")
    if isinstance(node, ast.Not):
        raise _error("Invalid operator used in KeyConditionExpression: NOT")
    if isinstance(node, ast.In):
        raise _error("Invalid operator used in KeyConditionExpression: IN")
    if isinstance(node, ast.Call) and node.name != "begins_with":
        raise _error(f"Invalid operator used in KeyConditionExpression: {node.name}")
    return [node]


def _attribute(path: ast.Operand) -> str:
    if not isinstance(path, ast.Path):
        raise _error(_NOT_SUPPORTED)
    if len(path.elements) != 1:
        raise _error("KeyConditionExpressions cannot have conditions on nested attributes")
    return path.top


def _literal(value: ast.Operand) -> AttributeValue:
    if not isinstance(value, ast.Value):
        raise _error(_NOT_SUPPORTED)
    return value.value


def _normalize(node: ast.Condition) -> tuple[str, str, list[AttributeValue]]:
    """(attribute, operator, values) of one simple condition."""
    if isinstance(node, ast.Compare):
        if node.op == "<>":
            raise _error("Unsupported operator on KeyConditionExpression: operator: <>")
        if isinstance(node.left, ast.Value) and isinstance(node.right, ast.Path):
            return _attribute(node.right), _FLIP[node.op], [_literal(node.left)]
        return _attribute(node.left), node.op, [_literal(node.right)]
    if isinstance(node, ast.Between):
        return _attribute(node.operand), "BETWEEN", [_literal(node.low), _literal(node.high)]
    assert isinstance(node, ast.Call)
    return _attribute(node.args[0]), "begins_with", [_literal(node.args[1])]


def key_range(
    condition: ast.Condition,
    hash_key: str,
    range_key: str | None,
    types: dict[str, str],
) -> KeyRange:
    parts = [_normalize(c) for c in _conditions(condition)]
    if len(parts) > 2:
        raise _error("Conditions can be of length 1 or 2 only")
    names = [name for name, _, _ in parts]
    if len(set(names)) != len(names):
        raise _error("KeyConditionExpressions must only contain one condition per key")
    by_name = {name: (op, values) for name, op, values in parts}
    if hash_key not in by_name:
        raise _error(f"Query condition missed key schema element: {hash_key}")
    for name in by_name:
        if name not in (hash_key, range_key):
            if range_key is None:
                raise _error(_NOT_SUPPORTED)
            raise _error(f"Query condition missed key schema element: {range_key}")
    op, values = by_name[hash_key]
    if op != "=":
        raise _error(_NOT_SUPPORTED)
    partition = values[0]
    _check_type(hash_key, partition, types[hash_key])
    bounds = Bounds()
    if range_key is not None and range_key in by_name:
        op, values = by_name[range_key]
        for value in values:
            _check_type(range_key, value, types[range_key])
        bounds = _bounds(op, values, types[range_key])
    return KeyRange(partition, bounds)


def _check_type(name: str, value: AttributeValue, declared: str) -> None:
    kind = type_of(value)
    if kind != declared:
        raise invalid_parameter("Condition parameter type does not match schema type")
    if value[kind] == "":
        raise validation(
            "One or more parameter values are not valid. The AttributeValue for a key "
            f"attribute cannot contain an empty {'string' if kind == 'S' else 'binary'} "
            f"value. Key: {name}"
        )


def _bounds(op: str, values: list[AttributeValue], declared: str) -> Bounds:
    encoded = [encode_key(v) for v in values]
    if op == "=":
        return Bounds(encoded[0], True, encoded[0], True)
    if op == "<":
        return Bounds(high=encoded[0], high_inclusive=False)
    if op == "<=":
        return Bounds(high=encoded[0])
    if op == ">":
        return Bounds(low=encoded[0], low_inclusive=False)
    if op == ">=":
        return Bounds(low=encoded[0])
    if op == "BETWEEN":
        return Bounds(encoded[0], True, encoded[1], True)
    if declared == "N":
        raise _error(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N"
        )
    successor = prefix_successor(encoded[0])
    return Bounds(encoded[0], True, successor, False)
