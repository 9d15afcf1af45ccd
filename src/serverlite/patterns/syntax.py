"""Reading and validating event patterns: where AWS refuses a pattern, and why.

A pattern compiles to a list of *branches* (the ``$or`` alternatives multiplied
out); each branch maps a field path to the ``Leaf`` its value must satisfy. The
refusals and their reasons are EventBridge's (its pattern engine, Event Ruler),
so ``PutRule`` answers ``InvalidEventPatternException`` with the same reason.

Inside ``$or`` a field already set by the enclosing object is overridden within
that alternative, as AWS does; keys are processed in the order written.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from serverlite.errors import ServerliteError

from . import matchers as m
from . import wildcard

OR = "$or"
MAX_BRANCHES = 1024  # AWS limits rule complexity; this keeps $or products bounded
# Every $or alternative copies the fields around it: bound the copies (branches times
# fields), or a 256 KB SNS policy of thousands of keys and ten $or froze the loop for 5 s.
MAX_ENTRIES = 131_072  # e.g. 1,024 combinations of 128 fields
_TOO_MANY_OR = "The rule is too complex: too many $or combinations"
# serverlite's own bound (AWS publishes none): compiling and matching follow a pattern's
# nesting, so a pattern nested hundreds deep would exhaust Python's stack.
MAX_DEPTH = 100
RESERVED_IN_OR = frozenset(
    {
        "exactly",
        "equals-ignore-case",
        "prefix",
        "suffix",
        "anything-but",
        "exists",
        "wildcard",
        "numeric",
        "cidr",
        "=",
        "<",
        "<=",
        ">",
        ">=",
        "regex",
        "not-wildcard",
        "not-equals-ignore-case",
        "date-after",
        "date-on-or-after",
        "date-before",
        "date-on-or-before",
        "in-date-range",
        "ip-address-in-range",
        "ip-address-not-in-range",
    }
)
_NUMERIC_TOO_MANY = "Too many elements in numeric expression"
_ONE_KEY = "Only one key allowed in match expression"
_ANYTHING_BUT_VALUE = "Value of anything-but must be an array or single string/number value."

Path = tuple[str, ...]


class PatternError(ServerliteError):
    """A pattern AWS refuses; ``reason`` is AWS's reason text."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Event pattern is not valid. Reason: {reason}")
        self.reason = reason


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its key/value pairs in written order (duplicates kept)."""


@dataclass(frozen=True)
class Leaf:
    """What one field's value must satisfy: any matcher, or (non-)existence."""

    matchers: tuple[m.Matcher, ...]
    exists: bool = False  # {"exists": true} is among the alternatives
    absent: bool = False  # {"exists": false} is among the alternatives

    def test(self, values: Sequence[Any]) -> bool:
        if not values:
            return self.absent
        if self.exists:
            return True
        return any(matcher.test(value) for matcher in self.matchers for value in values)


Branch = dict[Path, Leaf]


def parse_json(text: str) -> Any:
    """JSON text with objects as ``Pairs`` and numbers as ``JsonNumber`` (text kept)."""
    try:
        return json.loads(
            text, object_pairs_hook=Pairs, parse_float=m.JsonNumber, parse_int=m.JsonNumber
        )
    except RecursionError:
        raise ValueError(f"nested more than {MAX_DEPTH} levels") from None


def compile_branches(pattern: Any) -> list[Branch]:
    if isinstance(pattern, str):
        try:
            pattern = parse_json(pattern)
        except ValueError as exc:
            raise PatternError(f"Filter is not valid JSON: {exc}") from exc
    if not _is_object(pattern):
        raise PatternError("Filter is not an object")
    branches: list[Branch] = []
    _object(pattern, (), branches, in_or=False)
    _check_complexity(branches)
    return branches


def _check_complexity(branches: list[Branch]) -> None:
    """AWS's "Rule is too complex": judged per field over all of a rule's wildcards."""
    by_field: dict[Path, set[tuple[str, ...]]] = {}
    for branch in branches:
        for path, leaf in branch.items():
            for matcher in leaf.matchers:
                inner = matcher.inner if isinstance(matcher, m.AnythingBut) else (matcher,)
                for each in inner:
                    if isinstance(each, m.Wildcard):
                        by_field.setdefault(path, set()).add(each.segments)
    for values in by_field.values():
        try:
            wildcard.check_complexity(sorted(values))
        except wildcard.WildcardError as exc:
            raise PatternError(str(exc)) from exc


def _is_object(value: Any) -> bool:
    return isinstance(value, dict | Pairs)


def _items(value: Any) -> Iterator[tuple[str, Any]]:
    return iter(value.items() if isinstance(value, dict) else value)


def _object(obj: Any, path: Path, branches: list[Branch], *, in_or: bool) -> None:
    if len(path) >= MAX_DEPTH:
        raise PatternError(f"Filter nests more than {MAX_DEPTH} levels (serverlite's limit)")
    present = False
    for key, value in _items(obj):
        present = True
        if key == OR:
            _or(value, path, branches)
            continue
        if in_or and key in RESERVED_IN_OR:
            raise PatternError(
                f"{key} is Ruler reserved fieldName which cannot be used inside $or."
            )
        if _is_object(value):
            _object(value, (*path, key), branches, in_or=in_or)
        elif isinstance(value, list):
            leaf = _leaf(value)
            if not branches:
                branches.append({})
            _check_entries(len(branches) * (len(branches[0]) + 1))
            for branch in branches:
                branch[(*path, key)] = leaf
        else:
            raise PatternError(f'"{key}" must be an object or an array')
    if not present:
        raise PatternError("Empty objects are not allowed")


def _or(value: Any, path: Path, branches: list[Branch]) -> None:
    if not isinstance(value, list):
        raise PatternError("It must be an Array followed with $or.")
    current = [dict(branch) for branch in branches] or [{}]
    result: list[Branch] = []
    for alternative in value:
        if not _is_object(alternative):
            raise PatternError("Only JSON object is allowed in array of $or relationship.")
        _check_entries((len(result) + len(current)) * (len(current[0]) + 1))
        forked = [dict(branch) for branch in current]
        _object(alternative, path, forked, in_or=True)
        result += forked
        if len(result) > MAX_BRANCHES:
            raise PatternError(_TOO_MANY_OR)
    if len(value) < 2:
        raise PatternError("There must have at least 2 Objects in $or relationship.")
    branches[:] = result


def _check_entries(entries: int) -> None:
    if entries > MAX_ENTRIES:
        raise PatternError(_TOO_MANY_OR)


def _leaf(values: list[Any]) -> Leaf:
    matchers: list[m.Matcher] = []
    exists = absent = False
    for value in values:
        if _is_object(value):
            expression = _expression(value)
            if expression is True:
                exists = True
            elif expression is False:
                absent = True
            else:
                matchers.append(expression)
        elif isinstance(value, str):
            address = m.parse_ip(value)
            matchers.append(m.Exact(value) if address is None else m.ExactIp(value, address))
        elif value is None or isinstance(value, bool) or m.is_number(value):
            matchers.append(m.Exact(value))
        else:
            raise PatternError("Match value must be String, number, true, false, or null")
    if not values:
        raise PatternError("Empty arrays are not allowed")
    return Leaf(tuple(matchers), exists=exists, absent=absent)


def _expression(obj: Any) -> m.Matcher | bool:
    """One ``{"operator": operand}`` object; True/False for exists."""
    pairs = list(_items(obj))
    if not pairs:
        raise PatternError("Match expression name not found")
    name, operand = pairs[0]
    many = len(pairs) > 1
    if name == "numeric":
        if not isinstance(operand, list):
            raise PatternError("Value of numeric must be an array.")
        result: m.Matcher | bool = _numeric(operand)
        if many:
            raise PatternError(_NUMERIC_TOO_MANY)
        return result
    if name == "anything-but":
        result = _anything_but(operand)
        if many:
            raise PatternError(_NUMERIC_TOO_MANY)
        return result
    result = _simple(name, operand)
    if many:
        raise PatternError(_ONE_KEY)
    return result


def _simple(name: str, operand: Any) -> m.Matcher | bool:
    if name == "exists":
        if not isinstance(operand, bool):
            raise PatternError("exists match pattern must be either true or false.")
        return operand
    if name in ("prefix", "suffix"):
        text, ignore_case = _affix(name, operand)
        return m.Prefix(text, ignore_case) if name == "prefix" else m.Suffix(text, ignore_case)
    if name == "cidr":
        if not isinstance(operand, str):
            raise PatternError("prefix match pattern must be a string")  # sic: AWS's text
        return m.Cidr(_cidr(operand))
    if name == "wildcard":
        return m.Wildcard(_wildcard(operand))
    if name in ("equals-ignore-case", "exactly"):
        if not isinstance(operand, str):
            what = "equals-ignore-case" if name == "equals-ignore-case" else "exact"
            raise PatternError(f"{what} match pattern must be a string")
        return m.EqualsIgnoreCase(operand) if name == "equals-ignore-case" else m.Exact(operand)
    raise PatternError(f"Unrecognized match type {name}")


def _affix(name: str, operand: Any) -> tuple[str, bool]:
    """prefix/suffix: a string, or ``{"equals-ignore-case": string}``."""
    if isinstance(operand, str):
        return operand, False
    if not _is_object(operand):
        raise PatternError(f"{name} match pattern must be a string")
    pairs = list(_items(operand))
    if not pairs:
        raise PatternError(f"{name.capitalize()} expression name not found")
    inner, text = pairs[0]
    if inner != "equals-ignore-case":
        raise PatternError(f"Unsupported {name} pattern: {inner}")
    if not isinstance(text, str):
        raise PatternError("equals-ignore-case match pattern must be a string")
    if len(pairs) > 1:
        raise PatternError(_ONE_KEY)
    return text, True


def _wildcard(operand: Any) -> tuple[str, ...]:
    if not isinstance(operand, str):
        raise PatternError("wildcard match pattern must be a string")
    try:
        return wildcard.parse(operand)
    except wildcard.WildcardError as exc:
        raise PatternError(str(exc)) from exc


def _cidr(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    pieces = text.split("/")
    if len(pieces) != 2:
        raise PatternError("Malformed CIDR, one '/' required")
    try:
        bits = int(pieces[1])
    except ValueError:
        raise PatternError("Malformed CIDR, mask bits must be an integer") from None
    if bits < 0:
        raise PatternError("Malformed CIDR, mask bits must not be negative")
    # AWS: text without an IP literal's shape is "Nonstandard"; a literal that does
    # not parse (999.0.0.0) is "Invalid".
    if not m.looks_like_ip(pieces[0]):
        raise PatternError(f"Nonstandard IP address: {pieces[0]}")
    address = m.parse_ip(pieces[0])
    if address is None:
        raise PatternError(f"Invalid IP address: {pieces[0]}")
    # AWS refuses a mask that covers the whole address (/32, /128): use the address itself.
    if address.version == 4 and bits > 31:
        raise PatternError("IPv4 mask bits must be < 32")
    if address.version == 6 and bits > 127:
        raise PatternError("IPv6 mask bits must be < 128")
    return ipaddress.ip_network(f"{address}/{bits}", strict=False)


def _numeric(terms: list[Any]) -> m.Numeric:
    if not terms or not isinstance(terms[0], str):
        shown = "]" if not terms else _text(terms[0])
        raise PatternError(f"Invalid member in numeric match: {shown}")
    operator = terms[0]
    if operator not in ("=", "<", "<=", ">", ">="):
        raise PatternError(f"Unrecognized numeric range operator: {operator}")
    value = _number(terms, 1, "equals" if operator == "=" else operator)
    if operator in ("=", "<", "<="):
        if len(terms) > 2:
            raise PatternError(_NUMERIC_TOO_MANY)
        if operator == "=":
            return m.Numeric(value, False, value, False)
        return m.Numeric(high=value, high_open=operator == "<")
    low_open = operator == ">"
    if len(terms) == 2:
        return m.Numeric(low=value, low_open=low_open)
    upper = terms[2]
    if not isinstance(upper, str):
        raise PatternError(f"Bad value in numeric range: {_text(upper)}")
    if upper not in ("<", "<="):
        raise PatternError(f"Bad numeric range operator: {upper}")
    top = _number(terms, 3, upper)
    if len(terms) > 4:
        raise PatternError("Too many terms in numeric range expression")
    if value >= top:
        raise PatternError("Bottom must be less than top")
    return m.Numeric(value, low_open, top, upper == "<")


def _number(terms: list[Any], index: int, operator: str) -> Decimal:
    value = terms[index] if index < len(terms) else None
    number = m.decimal_of(value)
    if number is None:
        raise PatternError(f"Value of {operator} must be numeric")
    return number


def _text(value: Any) -> str:
    return m.number_text(value) if m.is_number(value) else json.dumps(value)


def _anything_but(operand: Any) -> m.Matcher:
    if _is_object(operand):
        return _anything_but_of(operand)
    if isinstance(operand, list):
        strings = [v for v in operand if isinstance(v, str)]
        numbers = [m.decimal_of(v) for v in operand if m.is_number(v)]
        if len(strings) + len(numbers) != len(operand):
            raise PatternError("Inside anything but list, start|null|boolean is not supported.")
        if bool(strings) == bool(numbers):
            raise PatternError(
                "Inside anything but list, either all values are number or string, "
                "mixed type is not supported"
            )
        if strings:
            return m.anything_but_strings(strings)
        return m.anything_but_numbers([n for n in numbers if n is not None])
    if isinstance(operand, str):
        return m.anything_but_strings([operand])
    number = m.decimal_of(operand)
    if number is None:
        raise PatternError(_ANYTHING_BUT_VALUE)
    return m.anything_but_numbers([number])


def _anything_but_of(obj: Any) -> m.Matcher:
    """anything-but {prefix | suffix | equals-ignore-case | wildcard: value or list}."""
    pairs = list(_items(obj))
    if not pairs:
        raise PatternError("Anything-But expression name not found")
    name, operand = pairs[0]
    if name not in ("prefix", "suffix", "equals-ignore-case", "wildcard"):
        raise PatternError(f"Unsupported anything-but pattern: {name}")
    if _is_object(operand) or (not isinstance(operand, list | str) and not m.is_number(operand)):
        # AWS's wording for any other operand, {"prefix": {"equals-ignore-case": ...}} too
        raise PatternError(_ANYTHING_BUT_VALUE)
    values = operand if isinstance(operand, list) else [operand]
    inner: list[m.Matcher] = []
    for value in values:
        if not isinstance(value, str):
            if name == "equals-ignore-case":
                raise PatternError(
                    "Inside anything-but/equals-ignore-case list, "
                    "number|start|null|boolean is not supported."
                )
            if name == "wildcard":
                raise PatternError("wildcard match pattern must be a string")
            raise PatternError("prefix/suffix match pattern must be a string")
        if name in ("prefix", "suffix") and not value:
            raise PatternError("Null prefix/suffix not allowed")
        inner.append(_anything_but_member(name, value))
    if len(pairs) > 1:
        raise PatternError(_NUMERIC_TOO_MANY)
    return m.anything_but_any(inner)


def _anything_but_member(name: str, value: str) -> m.Matcher:
    if name == "prefix":
        return m.Prefix(value)
    if name == "suffix":
        return m.Suffix(value)
    if name == "wildcard":
        return m.Wildcard(_wildcard(value))
    return m.EqualsIgnoreCase(value)
