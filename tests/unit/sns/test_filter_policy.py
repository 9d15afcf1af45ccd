"""SNS filter policies: cases written from the SNS developer guide (string, numeric,
key and AND/OR matching, constraints), for both scopes, and refused policies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.sns.filter_policy import compile_policy
from serverlite.aws.sns.message_attributes import MessageAttribute


def attrs(**values: tuple[str, str]) -> dict[str, MessageAttribute]:
    return {name: MessageAttribute(kind, value) for name, (kind, value) in values.items()}


def s(value: str) -> tuple[str, str]:
    return ("String", value)


def n(value: str) -> tuple[str, str]:
    return ("Number", value)


def arr(*values: Any) -> tuple[str, str]:
    return ("String.Array", json.dumps(list(values)))


INTERESTS = {"customer_interests": ["rugby", "tennis"]}
PREFIX = {"customer_interests": [{"prefix": "bas"}]}
ANYTHING_BUT = {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]}
BUT_PREFIX = {"customer_interests": [{"anything-but": {"prefix": "bas"}}]}
IGNORE_CASE = {"customer_interests": [{"equals-ignore-case": "tennis"}]}
SUFFIX = {"customer_interests": [{"suffix": "ball"}]}
CIDR = {"source_ip": [{"cidr": "10.0.0.0/24"}]}
PRICE_EQ = {"price_usd": [{"numeric": ["=", 301.5]}]}
PRICE_BUT = {"price": [{"anything-but": [100, 500]}]}
NEGATIVE = {"price_usd": [{"numeric": ["<", 0]}]}
RANGE = {"price_usd": [{"numeric": [">", 0, "<=", 150]}]}
STORE = {"store": [{"exists": True}]}
NO_STORE = {"store": [{"exists": False}]}
AND = {"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]}
OR = {
    "source": ["aws.cloudwatch"],
    "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
}
BUT_OR_ABSENT = {"customer_interests": [{"anything-but": ["rugby"]}, {"exists": False}]}

ATTRIBUTE_CASES: list[tuple[dict[str, Any], dict[str, MessageAttribute], bool]] = [
    # exact string matching
    (INTERESTS, attrs(customer_interests=s("rugby")), True),
    (INTERESTS, attrs(customer_interests=s("tennis")), True),
    (INTERESTS, attrs(customer_interests=s("baseball")), False),
    (INTERESTS, attrs(customer_interests=arr("rugby", "tennis")), True),
    (INTERESTS, attrs(customer_interests=arr("baseball")), False),
    (INTERESTS, attrs(customer_interests=s("Rugby")), False),  # case-sensitive
    (INTERESTS, attrs(other=s("rugby")), False),
    # prefix
    (PREFIX, attrs(customer_interests=s("baseball")), True),
    (PREFIX, attrs(customer_interests=s("basketball")), True),
    (PREFIX, attrs(customer_interests=s("rugby")), False),
    # anything-but
    (ANYTHING_BUT, attrs(customer_interests=s("baseball")), True),
    (ANYTHING_BUT, attrs(customer_interests=s("football")), True),
    (ANYTHING_BUT, attrs(customer_interests=arr("rugby", "baseball")), True),
    (ANYTHING_BUT, attrs(customer_interests=s("rugby")), False),
    (BUT_PREFIX, attrs(customer_interests=s("football")), True),
    (BUT_PREFIX, attrs(customer_interests=s("baseball")), False),
    (BUT_OR_ABSENT, attrs(other=s("x")), True),
    (BUT_OR_ABSENT, attrs(customer_interests=s("rugby")), False),
    # equals-ignore-case, suffix, IP addresses
    (IGNORE_CASE, attrs(customer_interests=s("TENNIS")), True),
    (IGNORE_CASE, attrs(customer_interests=s("Tennis")), True),
    (IGNORE_CASE, attrs(customer_interests=s("rugby")), False),
    (SUFFIX, attrs(customer_interests=s("baseball")), True),
    (SUFFIX, attrs(customer_interests=s("rugby")), False),
    (CIDR, attrs(source_ip=s("10.0.0.255")), True),
    (CIDR, attrs(source_ip=s("10.0.1.0")), False),
    # numeric matching applies to Number attributes
    (PRICE_EQ, attrs(price_usd=n("301.5")), True),
    (PRICE_EQ, attrs(price_usd=n("3.015e2")), True),
    (PRICE_EQ, attrs(price_usd=n("300")), False),
    (PRICE_EQ, attrs(price_usd=s("301.5")), False),  # a String is not a number
    (PRICE_BUT, attrs(price=n("101")), True),
    (PRICE_BUT, attrs(price=n("100.1")), True),
    (PRICE_BUT, attrs(price=arr(100, 50)), True),
    (PRICE_BUT, attrs(price=n("100")), False),
    (NEGATIVE, attrs(price_usd=n("-1")), True),
    (NEGATIVE, attrs(price_usd=n("0")), False),
    (RANGE, attrs(price_usd=n("150")), True),
    (RANGE, attrs(price_usd=n("1")), True),
    (RANGE, attrs(price_usd=n("150.1")), False),
    (RANGE, attrs(price_usd=n("0")), False),
    # key matching
    (STORE, attrs(store=s("fans"), customer_interests=arr("baseball")), True),
    (STORE, attrs(customer_interests=arr("baseball")), False),
    (NO_STORE, attrs(customer_interests=arr("baseball")), True),
    (NO_STORE, attrs(store=s("fans")), False),
    (NO_STORE, {}, False),  # AWS: an empty set of attributes never matches
    ({"blob": [{"exists": True}]}, attrs(blob=("Binary", "AAE=")), False),  # Binary ignored
    # AND / OR
    (AND, attrs(customer_interests=s("rugby"), price_usd=n("150")), True),
    (AND, attrs(customer_interests=s("rugby"), price_usd=n("50")), False),
    (AND, attrs(customer_interests=s("rugby")), False),
    (
        {"customer_interests": ["rugby", "football", "baseball"]},
        attrs(customer_interests=s("football")),
        True,
    ),
    (OR, attrs(source=s("aws.cloudwatch"), metricName=s("CPUUtilization")), True),
    (OR, attrs(source=s("aws.cloudwatch"), namespace=s("AWS/EC2")), True),
    (OR, attrs(source=s("aws.cloudwatch"), namespace=s("AWS/RDS")), False),
    (OR, attrs(source=s("aws.other"), metricName=s("CPUUtilization")), False),
    # a String.Array that is not a JSON array is filtered out
    (INTERESTS, attrs(customer_interests=("String.Array", "rugby")), False),
]


@pytest.mark.parametrize(("policy", "attributes", "expected"), ATTRIBUTE_CASES)
def test_message_attributes_scope(
    policy: dict[str, Any], attributes: dict[str, MessageAttribute], expected: bool
) -> None:
    compiled = compile_policy(json.dumps(policy), "MessageAttributes")
    assert compiled.matches("body is not looked at", attributes) is expected


BODY_CASES: list[tuple[dict[str, Any], str, bool]] = [
    (INTERESTS, '{"customer_interests": "rugby"}', True),
    (INTERESTS, '{"customer_interests": "baseball"}', False),
    (ANYTHING_BUT, '{"customer_interests": ["rugby", "baseball"]}', True),
    (ANYTHING_BUT, '{"customer_interests": "rugby"}', False),
    (PRICE_EQ, '{"price_usd": 3.015e2}', True),
    (PRICE_BUT, '{"price": [100, 50]}', True),
    (PRICE_BUT, '{"price": 100}', False),
    (PREFIX, '{"customer_interests": "basketball"}', True),
    (IGNORE_CASE, '{"customer_interests": "TeNnIs"}', True),
    (STORE, '{"store": "fans", "customer_interests": ["baseball", "basketball"]}', True),
    (STORE, '{"customer_interests": ["baseball", "basketball"]}', False),
    (NO_STORE, '{"customer_interests": ["baseball"]}', True),
    ({"store": {"location": ["NYC"]}}, '{"store": {"location": "NYC"}}', True),
    ({"store": {"location": ["NYC"]}}, '{"store": {"location": "LA"}}', False),
    (OR, '{"source": "aws.cloudwatch", "namespace": "AWS/EC2"}', True),
    (INTERESTS, "not JSON at all", False),
    (INTERESTS, '["rugby"]', False),  # not an object
]


@pytest.mark.parametrize(("policy", "body", "expected"), BODY_CASES)
def test_message_body_scope(policy: dict[str, Any], body: str, expected: bool) -> None:
    compiled = compile_policy(json.dumps(policy), "MessageBody")
    assert compiled.matches(body, attrs(customer_interests=s("rugby"))) is expected


REFUSED: list[tuple[str, str, str]] = [
    (
        '{"a": []}',
        "MessageAttributes",
        "Invalid parameter: FilterPolicy: Empty arrays are not allowed",
    ),
    (json.dumps({k: ["x"] for k in "abcdef"}), "MessageAttributes", "more than 5 keys"),
    (json.dumps({"a": [str(i) for i in range(151)]}), "MessageAttributes", "too complex"),
    ('{"store": {"location": ["NYC"]}}', "MessageAttributes", "does not support nested"),
    ('{"a": [{"wildcard": "x*"}]}', "MessageAttributes", "Unrecognized match type wildcard"),
    ('{"a": [{"nope": 1}]}', "MessageAttributes", "Unrecognized match type nope"),
    ('{"a": ', "MessageAttributes", "failed to parse JSON"),
    ('["a"]', "MessageAttributes", "must be a JSON object"),
    ('{"a": [{"numeric": [">", "x"]}]}', "MessageAttributes", "must be numeric"),
    ('{"a": ["x"]}', "Everything", "FilterPolicyScope: Invalid value [Everything]"),
]


@pytest.mark.parametrize(("policy", "scope", "message"), REFUSED)
def test_refused_policies(policy: str, scope: str, message: str) -> None:
    with pytest.raises(AwsError) as info:
        compile_policy(policy, scope)
    assert info.value.code == "InvalidParameter"
    assert message in info.value.message


def test_body_scope_counts_top_level_keys_only() -> None:
    nested = {"finding": {k: [{"exists": True}] for k in "abcdef"}}
    compiled = compile_policy(json.dumps(nested), "MessageBody")  # six nested, one top-level
    every = {"finding": dict.fromkeys("abcdef", 1)}
    one_short = {"finding": dict.fromkeys("abcde", 1)}
    assert compiled.matches(json.dumps(every), {}) is True
    assert compiled.matches(json.dumps(one_short), {}) is False
    # The twin: six keys at the top level are over the limit in the body scope too.
    flat = {k: [{"exists": True}] for k in "abcdef"}
    with pytest.raises(AwsError) as info:
        compile_policy(json.dumps(flat), "MessageBody")
    assert "more than 5 keys" in info.value.message


def test_table_size() -> None:
    assert len(ATTRIBUTE_CASES) + len(BODY_CASES) >= 40
