"""Condition operators as AWS defines them, missing keys and the set qualifiers included."""

from __future__ import annotations

from typing import Any

import pytest

from serverlite.iam.conditions import matches
from serverlite.iam.request import ContextValue


def holds(block: dict[str, dict[str, Any]], **context: ContextValue) -> bool:
    listed = {
        op: {k.replace("__", ":"): v if isinstance(v, list) else [v] for k, v in keys.items()}
        for op, keys in block.items()
    }
    return matches(listed, {k.replace("__", ":").casefold(): v for k, v in context.items()})


@pytest.mark.parametrize(
    ("operator", "value", "given", "hit"),
    [
        ("StringEquals", "abc", "abc", True),
        ("StringEquals", "abc", "ABC", False),
        ("StringEqualsIgnoreCase", "abc", "ABC", True),
        ("StringNotEquals", "abc", "abd", True),
        ("StringNotEquals", "abc", "abc", False),
        ("StringLike", "ab*", "abc", True),
        ("StringLike", "a?c", "abc", True),
        ("StringNotLike", "ab*", "xbc", True),
        ("ArnLike", "arn:aws:sqs:*:*:orders-*", "arn:aws:sqs:us-east-1:1:orders-a", True),
        ("ArnNotLike", "arn:aws:sqs:*:*:orders-*", "arn:aws:sqs:us-east-1:1:orders-a", False),
        ("Bool", "true", "True", True),
        ("NumericLessThan", "10", "9", True),
        ("NumericLessThan", "10", "10", False),
        ("NumericGreaterThanEquals", "10", "10", True),
        ("NumericEquals", "10", "ten", False),
        ("DateGreaterThan", "2020-01-01T00:00:00Z", "2021-06-01T00:00:00Z", True),
        ("IpAddress", "127.0.0.0/8", "127.0.0.1", True),
        ("NotIpAddress", "10.0.0.0/8", "127.0.0.1", True),
    ],
)
def test_operators(operator: str, value: str, given: str, hit: bool) -> None:
    assert holds({operator: {"k__v": value}}, k__v=given) is hit


def test_values_of_one_key_are_alternatives() -> None:
    assert holds({"StringEquals": {"k__v": ["a", "b"]}}, k__v="b")
    assert not holds({"StringNotEquals": {"k__v": ["a", "b"]}}, k__v="b")


def test_keys_and_operators_must_all_hold() -> None:
    block = {"StringEquals": {"k__a": "1", "k__b": "2"}, "Bool": {"k__c": "true"}}
    assert holds(block, k__a="1", k__b="2", k__c="true")
    assert not holds(block, k__a="1", k__b="2", k__c="false")


def test_a_missing_key_fails_a_positive_operator_and_satisfies_a_negated_one() -> None:
    assert not holds({"StringEquals": {"k__v": "a"}})
    assert holds({"StringNotEquals": {"k__v": "a"}})
    assert holds({"StringEqualsIfExists": {"k__v": "a"}})
    assert not holds({"StringEqualsIfExists": {"k__v": "a"}}, k__v="b")


def test_null_tests_presence() -> None:
    assert holds({"Null": {"k__v": "true"}})
    assert not holds({"Null": {"k__v": "true"}}, k__v="x")
    assert holds({"Null": {"k__v": "false"}}, k__v="x")


def test_condition_keys_ignore_case() -> None:
    assert holds(
        {"StringEquals": {"AWS:RequestedRegion": "us-east-1"}}, aws__requestedregion="us-east-1"
    )


def test_for_all_values_needs_every_value_listed() -> None:
    block = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["u1", "u2"]}}
    assert holds(block, dynamodb__leadingkeys=("u1",))
    assert holds(block, dynamodb__leadingkeys=("u1", "u2"))
    assert not holds(block, dynamodb__leadingkeys=("u1", "u3"))
    assert holds(block)  # no values: vacuously true, as AWS warns


def test_for_any_value_needs_one_value_listed() -> None:
    block = {"ForAnyValue:StringLike": {"k__tags": ["env-*"]}}
    assert holds(block, k__tags=("team-a", "env-prod"))
    assert not holds(block, k__tags=("team-a",))
    assert not holds(block)  # no values: false
