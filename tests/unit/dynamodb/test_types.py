from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from serverlite.aws.backend import AwsError
from serverlite.aws.dynamodb import types


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1", "1"),
        ("1.0", "1"),
        ("01.50", "1.5"),
        ("-0", "0"),
        ("0.000", "0"),
        ("1e3", "1000"),
        ("1E-3", "0.001"),
        ("+7", "7"),
        (".5", "0.5"),
        ("-12.3400", "-12.34"),
        ("9" * 38, "9" * 38),
        ("1E+125", "1" + "0" * 125),
        ("1E-130", "0." + "0" * 129 + "1"),
        (
            "123456789012345678901234567890123456780000",
            "123456789012345678901234567890123456780000",
        ),
    ],
)
def test_numbers_come_back_in_plain_trimmed_notation(text, canonical):
    assert types.canonical_number(text) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "The parameter cannot be converted to a numeric value: abc"),
        ("NaN", "The parameter cannot be converted to a numeric value: NaN"),
        ("Infinity", "The parameter cannot be converted to a numeric value: Infinity"),
        ("", "The parameter cannot be converted to a numeric value: "),
        ("1" * 39, "Attempting to store more than 38 significant digits in a Number"),
        ("1E+126", "Number overflow. Attempting to store a number with magnitude larger than "
                   "supported range"),
        ("1E-131", "Number underflow. Attempting to store a number with magnitude smaller than "
                   "supported range"),
    ],
)  # fmt: skip
def test_invalid_numbers_are_rejected_with_aws_wording(text, message):
    with pytest.raises(AwsError) as caught:
        types.canonical_number(text)
    assert caught.value.code == "ValidationException"
    assert caught.value.message == message


def test_trailing_zeros_do_not_count_as_significant_digits():
    assert types.canonical_number("1" * 38 + "000") == "1" * 38 + "000"


def test_arithmetic_keeps_38_digits_and_rejects_more():
    assert types.add_numbers("0.1", "0.2") == "0.3"
    assert types.add_numbers("5", "7", subtract=True) == "-2"
    with pytest.raises(AwsError, match="38 significant digits"):
        types.add_numbers("1" + "0" * 37, "0.1")
    with pytest.raises(AwsError, match="Number overflow"):
        types.add_numbers("9.9E+125", "9.9E+125")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported "
             "datatypes"),
        ({"S": "a", "N": "1"}, "Supplied AttributeValue has more than one datatypes set, must "
                               "contain exactly one of the supported datatypes"),
        ({"SS": []}, "One or more parameter values were invalid: An string set  may not be "
                     "empty"),
        ({"NS": []}, "One or more parameter values were invalid: An number set  may not be "
                     "empty"),
        ({"SS": ["a", "a"]}, "One or more parameter values were invalid: Input collection "
                             "[a, a] contains duplicates."),
        ({"NS": ["1", "1.0"]}, "One or more parameter values were invalid: Input collection "
                               "[1, 1.0] contains duplicates."),
        ({"NULL": False}, "One or more parameter values were invalid: Null attribute value "
                          "types must have the value of true"),
    ],
)  # fmt: skip
def test_invalid_attribute_values(value, message):
    with pytest.raises(AwsError) as caught:
        types.canonical_value(value)
    assert caught.value.message == message


def test_canonical_values_normalise_nested_numbers_and_binaries():
    value = {"M": {"a": {"L": [{"N": "1.0"}, {"NS": ["2.50", "3"]}, {"B": "YQ=="}]}}}
    assert types.canonical_value(value) == {
        "M": {"a": {"L": [{"N": "1"}, {"NS": ["2.5", "3"]}, {"B": "YQ=="}]}}
    }
    assert types.canonical_value({"S": ""}) == {"S": ""}  # empty strings are fine off-key


def test_equality_treats_sets_as_sets():
    assert types.equal({"SS": ["a", "b"]}, {"SS": ["b", "a"]})
    assert not types.equal({"SS": ["a"]}, {"S": "a"})
    assert types.equal({"L": [{"N": "1"}]}, {"L": [{"N": "1"}]})
    assert not types.equal({"L": [{"N": "1"}, {"N": "2"}]}, {"L": [{"N": "2"}, {"N": "1"}]})
    assert types.equal({"M": {"a": {"BOOL": True}}}, {"M": {"a": {"BOOL": True}}})


def test_order_is_numeric_for_numbers_and_bytewise_for_strings_and_binaries():
    assert types.compare({"N": "10"}, {"N": "9"}) == 1
    assert types.compare({"N": "-10"}, {"N": "-9"}) == -1
    assert types.compare({"S": "Z"}, {"S": "a"}) == -1  # uppercase sorts first in UTF-8
    assert types.compare({"S": "é"}, {"S": "z"}) == 1
    assert types.compare({"B": "gA=="}, {"B": "fw=="}) == 1  # 0x80 > 0x7f: unsigned
    assert types.compare({"S": "1"}, {"N": "1"}) is None
    assert types.compare({"BOOL": True}, {"BOOL": False}) is None


@pytest.mark.parametrize(
    ("text", "size"),
    [("0", 1), ("1", 2), ("12", 2), ("123", 3), ("-1", 3), ("0.5", 2), ("1.5", 3),
     ("100", 2), ("12345678901234567890", 11)],
)  # fmt: skip
def test_number_sizes(text, size):
    assert types.number_size(text) == size


def test_item_size_follows_aws_rules():
    # name bytes + value: strings by UTF-8 bytes, binaries by bytes, bool/null 1 byte,
    # lists and maps 3 bytes + 1 per element.
    assert types.item_size({"a": {"S": "héllo"}}) == 1 + 6
    assert types.item_size({"bb": {"B": "AAEC"}}) == 2 + 3
    assert types.item_size({"t": {"BOOL": True}, "n": {"NULL": True}}) == 2 + 2
    assert types.item_size({"l": {"L": [{"S": "ab"}, {"N": "1"}]}}) == 1 + 3 + (1 + 2) + (1 + 2)
    assert types.item_size({"m": {"M": {"k": {"S": "v"}}}}) == 1 + 3 + (1 + 1 + 1)
    assert types.item_size({"s": {"SS": ["ab", "c"]}}) == 1 + 3


def test_binary_length_without_decoding():
    for raw in (b"", b"a", b"ab", b"abc", b"abcd"):
        text = types.canonical_binary(__import__("base64").b64encode(raw).decode())
        assert types.binary_length(text) == len(raw)


SIGNIFICANDS = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from("123456789"),
    st.text("0123456789", max_size=43),
    st.sampled_from(["", *"123456789"]),
).map(lambda digits: digits.rstrip("0"))


@given(
    sign=st.sampled_from(["", "-", "+"]),
    digits=SIGNIFICANDS,
    adjusted=st.integers(min_value=-140, max_value=135),
    padding=st.integers(min_value=0, max_value=3),
)
def test_numbers_within_dynamodb_limits_keep_their_value_and_others_are_refused(
    sign, digits, adjusted, padding
):
    # DynamoDB: up to 38 significant digits, magnitudes 1E-130 to under 1E+126.
    # Written as d.dddE<adjusted> with trailing zeros that are not significant.
    fraction = digits[1:] + "0" * padding
    text = f"{sign}{digits[0]}{'.' + fraction if fraction else ''}E{adjusted}"
    within = len(digits) <= 38 and -130 <= adjusted <= 125
    if not within:
        with pytest.raises(AwsError) as caught:
            types.canonical_number(text)
        assert caught.value.code == "ValidationException"
        return
    canonical = types.canonical_number(text)
    assert Decimal(canonical) == Decimal(text)
    assert "E" not in canonical.upper()
    assert types.canonical_number(canonical) == canonical
