"""The expression tree. Placeholders are already resolved: a ``Path`` holds real
attribute names, a ``Value`` the attribute value ``:v`` stood for."""

from __future__ import annotations

from dataclasses import dataclass

from ..types import AttributeValue

PathElement = str | int


@dataclass(frozen=True, slots=True)
class Path:
    elements: tuple[PathElement, ...]

    def render(self) -> str:
        """As AWS prints paths in messages: ``[a, b, [1]]``."""
        parts = [f"[{e}]" if isinstance(e, int) else e for e in self.elements]
        return "[" + ", ".join(parts) + "]"

    @property
    def top(self) -> str:
        first = self.elements[0]
        assert isinstance(first, str)
        return first


@dataclass(frozen=True, slots=True)
class Value:
    placeholder: str  # ":v"
    value: AttributeValue


@dataclass(frozen=True, slots=True)
class Function:
    """size, if_not_exists, list_append: functions that give a value."""

    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """``a + b`` / ``a - b`` in a SET action."""

    op: str
    left: Operand
    right: Operand


Operand = Path | Value | Function | Arithmetic


# -- conditions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # = <> < <= > >=
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    operand: Operand
    choices: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Call:
    """attribute_exists, attribute_not_exists, attribute_type, begins_with, contains."""

    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


Condition = Compare | Between | In | Call | And | Or | Not


# -- updates ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetAction:
    path: Path
    value: Operand


@dataclass(frozen=True, slots=True)
class RemoveAction:
    path: Path


@dataclass(frozen=True, slots=True)
class AddAction:
    path: Path
    value: Value


@dataclass(frozen=True, slots=True)
class DeleteAction:
    path: Path
    value: Value


Action = SetAction | RemoveAction | AddAction | DeleteAction


@dataclass(frozen=True, slots=True)
class Update:
    actions: tuple[Action, ...]

    @property
    def paths(self) -> tuple[Path, ...]:
        return tuple(action.path for action in self.actions)
