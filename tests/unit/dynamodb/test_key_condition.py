import pytest

from serverlite.aws.backend import AwsError
from serverlite.aws.dynamodb.encoding import encode_number
from serverlite.aws.dynamodb.expressions import Placeholders, parse_condition
from serverlite.aws.dynamodb.key_condition import key_range
from serverlite.aws.dynamodb.storage import Bounds

VALUES = {":p": {"S": "p"}, ":a": {"N": "1"}, ":b": {"N": "5"}, ":s": {"S": "ab"}}
TYPES = {"pk": "S", "sk": "N", "label": "S"}


def rng(expression, range_key="sk", types=TYPES):
    condition = parse_condition(
        expression,
        "KeyConditionExpression",
        Placeholders(None, {k: v for k, v in VALUES.items() if k in expression}),
    )
    return key_range(condition, "pk", range_key, types)


def test_partition_only():
    result = rng("pk = :p")
    assert result.partition == {"S": "p"}
    assert result.bounds == Bounds()


@pytest.mark.parametrize(
    ("expression", "bounds"),
    [
        ("pk = :p AND sk = :a", Bounds(encode_number("1"), True, encode_number("1"), True)),
        ("pk = :p AND sk < :a", Bounds(high=encode_number("1"), high_inclusive=False)),
        ("sk >= :a AND pk = :p", Bounds(low=encode_number("1"))),
        (":a < sk AND pk = :p", Bounds(low=encode_number("1"), low_inclusive=False)),
        ("pk = :p AND sk BETWEEN :a AND :b", Bounds(encode_number("1"), True, encode_number("5"))),
    ],
)
def test_sort_key_ranges(expression, bounds):
    assert rng(expression).bounds == bounds


def test_begins_with_is_a_prefix_range():
    result = rng("pk = :p AND begins_with(label, :s)", range_key="label")
    assert result.bounds == Bounds(b"ab", True, b"ac", False)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("sk = :a", "Query condition missed key schema element: pk"),
        ("pk = :p AND label = :s", "Query condition missed key schema element: sk"),
        ("pk = :p OR sk = :a", "Invalid operator used in KeyConditionExpression: OR"),
        ("pk < :p", "Query key condition not supported"),
        ("pk = :p AND sk <> :a", "Unsupported operator on KeyConditionExpression: operator: <>"),
        ("pk = :p AND sk = :a AND sk = :b", "Conditions can be of length 1 or 2 only"),
        ("pk = :p AND pk = :p", "KeyConditionExpressions must only contain one condition per key"),
        ("pk = :a", "One or more parameter values were invalid: Condition parameter type does "
                    "not match schema type"),
        ("pk = :p AND attribute_exists(sk)", "Invalid operator used in KeyConditionExpression: "
                                             "attribute_exists"),
        ("pk = :p AND begins_with(sk, :s)", "One or more parameter values were invalid: "
                                            "Condition parameter type does not match schema type"),
    ],
)  # fmt: skip
def test_key_condition_errors(expression, message):
    with pytest.raises(AwsError) as caught:
        rng(expression)
    assert caught.value.message == message
