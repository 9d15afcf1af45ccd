"""Checks DynamoDB makes on an expression before it touches any item: function
arity and argument kinds, literal operand types, overlapping document paths."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from serverlite.aws.backend import AwsError

from ..types import compare, type_of
from . import ast

ATTRIBUTE_TYPES = ("B", "NULL", "SS", "BOOL", "L", "BS", "N", "NS", "S", "M")
_ARITY = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
    "size": 1,
    "if_not_exists": 2,
    "list_append": 2,
}
_HUMAN = {
    "S": "STRING",
    "N": "NUMBER",
    "B": "BINARY",
    "BOOL": "BOOLEAN",
    "NULL": "NULL",
    "L": "LIST",
    "M": "MAP",
    "SS": "STRING SET",
    "NS": "NUMBER SET",
    "BS": "BINARY SET",
}
ORDERED = frozenset({"S", "N", "B"})


class Reporter(Protocol):
    def error(self, message: str) -> AwsError: ...


def _operand_type(reporter: Reporter, function: str, kind: str) -> AwsError:
    return reporter.error(
        "Incorrect operand type for operator or function; "
        f"operator or function: {function}, operand type: {kind}"
    )


def _arity(reporter: Reporter, name: str, args: Sequence[ast.Operand]) -> None:
    if len(args) != _ARITY[name]:
        raise reporter.error(
            "Incorrect number of operands for operator or function; "
            f"operator or function: {name}, number of operands: {len(args)}"
        )


def _needs_path(reporter: Reporter, name: str, operand: ast.Operand) -> None:
    if not isinstance(operand, ast.Path):
        raise reporter.error(
            f"Operator or function requires a document path; operator or function: {name}"
        )


def check_call(reporter: Reporter, call: ast.Call) -> None:
    _arity(reporter, call.name, call.args)
    _needs_path(reporter, call.name, call.args[0])
    if call.name == "attribute_type":
        second = call.args[1]
        if isinstance(second, ast.Value):
            kind = type_of(second.value)
            if kind != "S":
                raise _operand_type(reporter, "attribute_type", kind)
            if second.value["S"] not in ATTRIBUTE_TYPES:
                raise reporter.error(
                    f"Invalid attribute type name found; type: {second.value['S']}, "
                    f"valid types: {{{','.join(ATTRIBUTE_TYPES)}}}"
                )
    if call.name == "begins_with":
        second = call.args[1]
        if isinstance(second, ast.Value) and type_of(second.value) not in ("S", "B"):
            raise _operand_type(reporter, "begins_with", type_of(second.value))


def check_value_function(reporter: Reporter, function: ast.Function) -> None:
    _arity(reporter, function.name, function.args)
    if function.name in ("size", "if_not_exists"):
        _needs_path(reporter, function.name, function.args[0])
    if function.name == "list_append":
        for arg in function.args:
            if isinstance(arg, ast.Value) and type_of(arg.value) != "L":
                raise _operand_type(reporter, "list_append", type_of(arg.value))


def check_comparison(reporter: Reporter, node: ast.Compare | ast.Between) -> None:
    """Ordering operators only take S, N or B literals; BETWEEN bounds must be ordered."""
    if isinstance(node, ast.Compare):
        if node.op in ("=", "<>"):
            return
        operands: tuple[ast.Operand, ...] = (node.left, node.right)
        name = node.op
    else:
        operands = (node.operand, node.low, node.high)
        name = "BETWEEN"
    for operand in operands:
        if isinstance(operand, ast.Value) and type_of(operand.value) not in ORDERED:
            raise _operand_type(reporter, name, type_of(operand.value))
    if isinstance(node, ast.Between):
        low, high = node.low, node.high
        if isinstance(low, ast.Value) and isinstance(high, ast.Value):
            bounds = (
                f"lower bound operand: AttributeValue: {{{_short(low)}}}, "
                f"upper bound operand: AttributeValue: {{{_short(high)}}}"
            )
            order = compare(low.value, high.value)
            if order is None:
                raise reporter.error(
                    "The BETWEEN operator requires same data type for lower and upper bounds; "
                    + bounds
                )
            if order > 0:
                raise reporter.error(
                    "The BETWEEN operator requires upper bound to be greater than or equal to "
                    "lower bound; " + bounds
                )


def _short(value: ast.Value) -> str:
    kind = type_of(value.value)
    return f"{kind}:{value.value[kind]}"


def check_in(reporter: Reporter, node: ast.In) -> None:
    if len(node.choices) > 100:
        raise reporter.error(
            "The IN operator is provided with too many operands; "
            f"number of operands: {len(node.choices)}"
        )


def check_update_action(reporter: Reporter, action: ast.Action) -> None:
    if isinstance(action, ast.SetAction) and isinstance(action.value, ast.Arithmetic):
        for operand in (action.value.left, action.value.right):
            if isinstance(operand, ast.Value) and type_of(operand.value) != "N":
                raise _operand_type(reporter, action.value.op, type_of(operand.value))
    elif isinstance(action, ast.AddAction):
        kind = type_of(action.value.value)
        if kind not in ("N", "SS", "NS", "BS"):
            raise reporter.error(
                "Incorrect operand type for operator or function; "
                f"operator: ADD, operand type: {_HUMAN[kind]}"
            )
    elif isinstance(action, ast.DeleteAction):
        kind = type_of(action.value.value)
        if kind not in ("SS", "NS", "BS"):
            raise reporter.error(
                "Incorrect operand type for operator or function; "
                f"operator: DELETE, operand type: {_HUMAN[kind]}"
            )


def check_paths(reporter: Reporter, paths: Sequence[ast.Path]) -> None:
    """No two document paths may overlap (one a prefix of the other) or conflict (the
    same prefix continued once by a map key and once by a list index)."""
    for i, first in enumerate(paths):
        for second in paths[i + 1 :]:
            common = 0
            for a, b in zip(first.elements, second.elements, strict=False):
                if a != b or type(a) is not type(b):
                    break
                common += 1
            shortest = min(len(first.elements), len(second.elements))
            if common == shortest:
                raise reporter.error(
                    "Two document paths overlap with each other; must remove or rewrite one "
                    f"of these paths; path one: {first.render()}, path two: {second.render()}"
                )
            a, b = first.elements[common], second.elements[common]
            if isinstance(a, int) != isinstance(b, int):
                raise reporter.error(
                    "Two document paths conflict with each other; must remove or rewrite one "
                    f"of these paths; path one: {first.render()}, path two: {second.render()}"
                )
