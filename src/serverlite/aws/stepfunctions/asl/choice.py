"""Choice rules of JSONPath states: comparisons, And / Or / Not, type tests.

A comparison reads ``Variable`` and compares it with a literal or, for the ``*Path``
operators, with the value at another path. A value of the wrong type compares false
(AWS: "a comparison of a string to a number is false"); a ``Variable`` that finds
nothing is ``States.Runtime``, except under ``IsPresent``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import jsonpath
from .errors import runtime
from .payload import Scope

_TIMESTAMP = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: bool(a == b),
    "LessThan": lambda a, b: bool(a < b),
    "GreaterThan": lambda a, b: bool(a > b),
    "LessThanEquals": lambda a, b: bool(a <= b),
    "GreaterThanEquals": lambda a, b: bool(a >= b),
}
TYPE_TESTS = ("IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp")
COMPARISONS = (
    *(
        f"{kind}{order}{path}"
        for kind in ("String", "Numeric", "Timestamp")
        for order in _ORDER
        for path in ("", "Path")
    ),
    "BooleanEquals",
    "BooleanEqualsPath",
    "StringMatches",
)
OPERATORS = (*COMPARISONS, *TYPE_TESTS)


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def evaluate(rule: dict[str, Any], scope: Scope) -> bool:
    """Whether a rule (a top-level Choices entry, or one nested under And / Or / Not) holds."""
    if "And" in rule:
        return all(evaluate(sub, scope) for sub in rule["And"])
    if "Or" in rule:
        return any(evaluate(sub, scope) for sub in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], scope)
    variable = rule["Variable"]
    operator = next(op for op in OPERATORS if op in rule)
    expected = rule[operator]
    try:
        value = scope.resolve(variable)
    except jsonpath.NoMatch as exc:
        if operator == "IsPresent":
            return expected is False
        raise runtime(
            f"Invalid path '{variable}': The choice state's condition path references an "
            "invalid value."
        ) from exc
    if operator in TYPE_TESTS:
        return _type_test(operator, value) is bool(expected)
    if operator.endswith("Path"):
        try:
            expected = scope.resolve(expected)
        except jsonpath.NoMatch as exc:
            raise runtime(
                f"Invalid path '{rule[operator]}': The choice state's condition path "
                "references an invalid value."
            ) from exc
        operator = operator[: -len("Path")]
    return _compare(operator, value, expected)


def _type_test(operator: str, value: Any) -> bool:
    if operator == "IsPresent":
        return True
    if operator == "IsNull":
        return value is None
    if operator == "IsNumeric":
        return is_number(value)
    if operator == "IsString":
        return isinstance(value, str)
    if operator == "IsBoolean":
        return isinstance(value, bool)
    return timestamp(value) is not None


def _compare(operator: str, value: Any, expected: Any) -> bool:
    if operator == "BooleanEquals":
        return isinstance(value, bool) and value is expected
    if operator == "StringMatches":
        return isinstance(value, str) and string_matches(value, str(expected))
    for kind in ("String", "Numeric", "Timestamp"):
        if operator.startswith(kind):
            order = _ORDER[operator[len(kind) :]]
            if kind == "String":
                return (
                    isinstance(value, str) and isinstance(expected, str) and order(value, expected)
                )
            if kind == "Numeric":
                return is_number(value) and is_number(expected) and order(value, expected)
            left, right = timestamp(value), timestamp(expected)
            return left is not None and right is not None and order(left, right)
    return False


def string_matches(value: str, pattern: str) -> bool:
    """``*`` is any run of characters; ``\\*`` a literal star, ``\\\\`` a backslash."""
    regex, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            regex += re.escape(pattern[i + 1])
            i += 2
            continue
        regex += ".*" if char == "*" else re.escape(char)
        i += 1
    return re.fullmatch(regex, value, re.DOTALL) is not None
