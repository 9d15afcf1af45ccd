"""DynamoDB's limits on what a request may carry, with AWS's ValidationException text,
and validation that stays linear on hostile input (every port shares one event loop)."""

import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.dynamodb import types
from serverlite.aws.dynamodb.expressions.parser import (
    MAX_NESTING,
    parse_condition,
    parse_projection,
    parse_update,
)
from serverlite.aws.dynamodb.expressions.placeholders import Placeholders

VALUES = Placeholders(None, {":v": {"S": "x"}, ":l": {"L": []}})


@pytest.mark.parametrize("digits", [20_000, 200_000, 2_000_000])
def test_refusing_a_long_bad_number_is_linear(digits):
    # 20,000 digits and a letter took 11.5 s with the old pattern (`\d+\.?\d*` can split
    # the same digits many ways); 2,000,000 would take hours. The test finishing is the
    # bound, and the answer is AWS's.
    with pytest.raises(AwsError) as raised:
        types.parse_number("1" * digits + "x")
    assert raised.value.message == (
        f"The parameter cannot be converted to a numeric value: {'1' * digits}x"
    )


def test_a_long_valid_number_is_refused_for_its_precision():
    with pytest.raises(AwsError, match="more than 38 significant digits"):
        types.parse_number("1" * 200_000)
    assert types.parse_number("1" * 38) == int("1" * 38)
    assert types.canonical_number("0" * 100_000 + "1.5") == "1.5"  # zeros are not digits


def _wrapped(levels: int, kind: str = "M") -> dict:
    value: dict = {"S": "x"}
    for _ in range(levels):
        value = {"M": {"a": value}} if kind == "M" else {"L": [value]}
    return value


NESTING = (
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested "
    "levels beyond supported limit"
)


@pytest.mark.parametrize("kind", ["M", "L"])
def test_documents_nest_32_levels(kind):
    # "DynamoDB supports nested attributes up to 32 levels deep" (Constraints); observed:
    # a scalar under 31 maps is stored, under 32 it is refused with this message.
    types.canonical_item({"doc": _wrapped(31, kind)})
    with pytest.raises(AwsError) as raised:
        types.canonical_item({"doc": _wrapped(32, kind)})
    assert raised.value.code == "ValidationException"
    assert raised.value.message == NESTING


def test_hostile_nesting_is_refused_not_recursed():
    with pytest.raises(AwsError, match="Nesting Levels"):
        types.canonical_item({"doc": _wrapped(50_000)})


def test_expression_values_are_held_to_the_same_depth():
    values = Placeholders(None, {":deep": _wrapped(32)})
    with pytest.raises(AwsError, match="Nesting Levels"):
        parse_condition("a = :deep", "ConditionExpression", values)


@pytest.mark.parametrize(
    ("parse", "kind"),
    [
        (lambda s: parse_condition(s, "ConditionExpression", VALUES), "ConditionExpression"),
        (lambda s: parse_condition(s, "FilterExpression", VALUES), "FilterExpression"),
        (lambda s: parse_update(s, VALUES), "UpdateExpression"),
        (lambda s: parse_projection(s, VALUES), "ProjectionExpression"),
    ],
)
def test_expressions_are_limited_to_4_kb_as_sent(parse, kind):
    # "The maximum length of any expression string is 4 KB" (Constraints). Observed: 4,096
    # bytes pass and 4,097 are refused, counted in UTF-8 before substitution.
    stem = {"UpdateExpression": "SET a = :v", "ProjectionExpression": "a"}.get(kind, "a = :v")
    parse(stem + " " * (4096 - len(stem)))
    with pytest.raises(AwsError) as raised:
        parse(stem + " " * (4097 - len(stem)))
    assert raised.value.message == (
        f"Invalid {kind}: Expression size has exceeded the maximum allowed size; "
        "expression size: 4097"
    )


def test_expression_size_counts_utf8_bytes_before_the_syntax():
    # 2,100 characters, 4,200 bytes: the size is judged first, in bytes
    with pytest.raises(AwsError, match="expression size: 4200$"):
        parse_projection("é" * 2100, VALUES)


@pytest.mark.parametrize(
    "source",
    [
        "(" * 1500 + "a = :v" + ")" * 1500,
        "NOT " * 1000 + "a = :v",
        "size(" * 600 + "a" + ")" * 600 + " = :v",
    ],
)
def test_deep_nesting_is_refused_in_aws_error_shape(source):
    # within 4 KB these once raised RecursionError (a 500); they are refused instead
    with pytest.raises(AwsError) as raised:
        parse_condition(source, "ConditionExpression", VALUES)
    assert raised.value.code == "ValidationException"


def test_nesting_within_the_bound_parses():
    depth = MAX_NESTING - 1
    source = "(a = :v AND " * depth + "b = :v" + ")" * depth
    parse_condition(source, "ConditionExpression", VALUES)
    update = "SET a = " + "list_append(" * 50 + ":l" + ", :l)" * 50
    parse_update(update, VALUES)


def test_attribute_names_are_1_byte_to_under_64_kb():
    # "Attribute names must be at least one character long and less than 64 KB in size"
    # (DynamoDB naming rules); the wording is DynamoDB's own error table.
    types.canonical_item({"a" * 65535: {"S": "x"}})
    with pytest.raises(AwsError) as raised:
        types.canonical_item({"a" * 65536: {"S": "x"}})
    assert raised.value.message == "Attribute name is too large, must be less than 65536 bytes"
    with pytest.raises(AwsError, match="too large"):
        types.canonical_item({"é" * 32768: {"S": "x"}})  # 65,536 bytes in UTF-8
    with pytest.raises(AwsError) as raised:
        types.canonical_item({"": {"S": "x"}})
    assert raised.value.message == "Empty attribute name"
