"""IAM's condition operators, as the policy evaluation logic defines them.

A ``Condition`` block holds operators; each names keys; each key lists values. The
block matches when every operator matches, an operator when every key matches, and a
key when the request's value matches any of the listed values (for the negated
operators: none of them). Further rules, each AWS's:

- A key the request does not carry fails a positive operator and satisfies a negated
  one (``StringNotEquals``, ``ArnNotLike``...: "the condition is true if the key is
  not present"); ``...IfExists`` makes a missing key match either way; ``Null``
  tests presence itself.
- ``ForAnyValue:`` matches when at least one of a multivalued key's values matches
  (false when the key is missing or empty); ``ForAllValues:`` when every one does
  (true when the key is missing or empty).
- Condition keys are case-insensitive; ``String*`` values are case-sensitive, except
  ``StringEqualsIgnoreCase``; ``Bool`` compares ``true``/``false`` case-insensitively.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from serverlite.iam import wildcards
from serverlite.iam.request import ContextValue

Compare = Callable[[str, str], bool]  # (request value, policy value) -> match


def _number(text: str) -> float:
    return float(text)


def _date(text: str) -> float:
    try:
        return float(text)  # epoch seconds are allowed
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _ip(value: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


# operator -> (comparison, negated)
OPERATORS: dict[str, tuple[Compare, bool]] = {
    "StringEquals": (lambda v, p: v == p, False),
    "StringNotEquals": (lambda v, p: v == p, True),
    "StringEqualsIgnoreCase": (lambda v, p: v.casefold() == p.casefold(), False),
    "StringNotEqualsIgnoreCase": (lambda v, p: v.casefold() == p.casefold(), True),
    "StringLike": (lambda v, p: wildcards.glob(p)(v), False),
    "StringNotLike": (lambda v, p: wildcards.glob(p)(v), True),
    "ArnEquals": (lambda v, p: wildcards.arn(p)(v), False),
    "ArnLike": (lambda v, p: wildcards.arn(p)(v), False),
    "ArnNotEquals": (lambda v, p: wildcards.arn(p)(v), True),
    "ArnNotLike": (lambda v, p: wildcards.arn(p)(v), True),
    "Bool": (lambda v, p: v.casefold() == p.casefold(), False),
    "NumericEquals": (lambda v, p: _number(v) == _number(p), False),
    "NumericNotEquals": (lambda v, p: _number(v) == _number(p), True),
    "NumericLessThan": (lambda v, p: _number(v) < _number(p), False),
    "NumericLessThanEquals": (lambda v, p: _number(v) <= _number(p), False),
    "NumericGreaterThan": (lambda v, p: _number(v) > _number(p), False),
    "NumericGreaterThanEquals": (lambda v, p: _number(v) >= _number(p), False),
    "DateEquals": (lambda v, p: _date(v) == _date(p), False),
    "DateNotEquals": (lambda v, p: _date(v) == _date(p), True),
    "DateLessThan": (lambda v, p: _date(v) < _date(p), False),
    "DateLessThanEquals": (lambda v, p: _date(v) <= _date(p), False),
    "DateGreaterThan": (lambda v, p: _date(v) > _date(p), False),
    "DateGreaterThanEquals": (lambda v, p: _date(v) >= _date(p), False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
    "BinaryEquals": (lambda v, p: v == p, False),
}


class UnknownOperator(ValueError):
    pass


def operator_known(name: str) -> bool:
    _, _, base = name.rpartition(":")
    base = base.removesuffix("IfExists")
    return base in OPERATORS or base == "Null"


def matches(
    condition: Mapping[str, Mapping[str, Sequence[str]]],
    context: Mapping[str, ContextValue],
) -> bool:
    """Whether a statement's whole Condition block holds for a request's context
    (``context`` keyed by lowercased condition key)."""
    for operator, keys in condition.items():
        for key, values in keys.items():
            if not _key_matches(operator, context.get(key.casefold()), values):
                return False
    return True


def _key_matches(operator: str, given: ContextValue | None, values: Sequence[str]) -> bool:
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    if name == "Null":  # "true": the key must be absent; "false": present
        absent = given is None or given == ()
        return any((value.casefold() == "true") == absent for value in values)
    if name not in OPERATORS:
        raise UnknownOperator(operator)
    compare, negated = OPERATORS[name]
    if qualifier:
        requested = (given,) if isinstance(given, str) else tuple(given or ())
        if qualifier == "ForAnyValue":
            return any(_one(compare, negated, value, values) for value in requested)
        if qualifier == "ForAllValues":
            return all(_one(compare, negated, value, values) for value in requested)
        raise UnknownOperator(operator)
    if given is None:
        return if_exists or negated
    single = (given,) if isinstance(given, str) else given
    # A multivalued key under a single-valued operator: AWS matches if any value does.
    return any(_one(compare, negated, value, values) for value in single)


def _one(compare: Compare, negated: bool, value: str, values: Sequence[str]) -> bool:
    try:
        hit = any(compare(value, wanted) for wanted in values)
    except ValueError:  # a number or date that is not one: no match
        hit = False
    return not hit if negated else hit
