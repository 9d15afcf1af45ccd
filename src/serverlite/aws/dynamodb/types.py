"""Attribute values as they travel on the wire: ``{"S": "x"}``, ``{"N": "1.5"}``, ...

Values stay in their wire form everywhere (JSON in, JSON stored, JSON out); this
module validates them, puts numbers and binaries in a canonical form (so equal
values are equal dicts, up to set order), orders them as DynamoDB does, and sizes
them by AWS's published rules.

Numbers follow DynamoDB: up to 38 significant digits, magnitudes from 1E-130 to
under 1E+126, returned in plain notation with leading and trailing zeros trimmed
(``"1.50"`` comes back as ``"1.5"``, ``"1e3"`` as ``"1000"``).
"""

from __future__ import annotations

import base64
import binascii
import decimal
import re
from decimal import Decimal
from typing import Any

from .errors import invalid_parameter, serialization, validation

AttributeValue = dict[str, Any]
Item = dict[str, AttributeValue]

TYPES = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})
SCALAR_KEY_TYPES = frozenset({"S", "N", "B"})
SET_TYPES = {"SS": "S", "NS": "N", "BS": "B"}
MAX_ITEM_SIZE = 400 * 1024
MAX_DIGITS = 38
MAX_NAME_BYTES = 65536
MAX_DEPTH = 32  # "Nested attribute depth: DynamoDB supports nested attributes up to 32 levels"

# One way to match any text (the integer digits, then an optional fraction, never the
# same digits two ways), so refusing a bad number is linear: the ambiguous form
# `\d+\.?\d*` took 11.5 s on 20,000 digits and a letter, stalling every port.
_NUMBER = re.compile(r"\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*")
# Wide enough that normalizing a valid 38-digit number never rounds it.
_FORMAT = decimal.Context(prec=80, Emax=999999, Emin=-999999)
# Arithmetic in update expressions: 38 digits, and an inexact result is an error.
ARITHMETIC = decimal.Context(
    prec=MAX_DIGITS,
    Emax=999999,
    Emin=-999999,
    traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow],
)
_SET_NAMES = {"SS": "string", "NS": "number", "BS": "binary"}


# -- numbers ---------------------------------------------------------------------------


def parse_number(text: Any) -> Decimal:
    """A number attribute's text as a Decimal, within DynamoDB's limits."""
    if not isinstance(text, str) or not _NUMBER.fullmatch(text):
        raise validation(f"The parameter cannot be converted to a numeric value: {text}")
    number = Decimal(text.strip())
    check_number(number)
    return number


def check_number(number: Decimal) -> None:
    if not number:
        return
    digits = number.as_tuple().digits
    significant = len("".join(map(str, digits)).strip("0"))
    if significant > MAX_DIGITS:
        raise validation("Attempting to store more than 38 significant digits in a Number")
    if number.adjusted() > 125:
        raise validation(
            "Number overflow. Attempting to store a number with magnitude larger than "
            "supported range"
        )
    if number.adjusted() < -130:
        raise validation(
            "Number underflow. Attempting to store a number with magnitude smaller than "
            "supported range"
        )


def format_number(number: Decimal) -> str:
    if not number:
        return "0"
    return format(number.normalize(_FORMAT), "f")


def canonical_number(text: Any) -> str:
    return format_number(parse_number(text))


def add_numbers(a: str, b: str, subtract: bool = False) -> str:
    try:
        if subtract:
            result = ARITHMETIC.subtract(Decimal(a), Decimal(b))
        else:
            result = ARITHMETIC.add(Decimal(a), Decimal(b))
    except decimal.Inexact:
        raise validation(
            "Attempting to store more than 38 significant digits in a Number"
        ) from None
    check_number(result)
    return format_number(result)


# -- binaries ----------------------------------------------------------------------------


def decode_binary(text: Any) -> bytes:
    if not isinstance(text, str):
        raise serialization("Base64 encoded binary value expected")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise serialization(
            f"Base64 encoded length is expected a multiple of 4 bytes but found: {len(text)}"
        ) from None


def canonical_binary(text: Any) -> str:
    return base64.b64encode(decode_binary(text)).decode("ascii")


def binary_length(text: str) -> int:
    """Decoded length of canonical base64 text, without decoding it."""
    return len(text) * 3 // 4 - text.endswith("=") - text.endswith("==")


# -- validation --------------------------------------------------------------------------


def type_of(value: AttributeValue) -> str:
    return next(iter(value))


def canonical_value(value: Any, depth: int = 1) -> AttributeValue:
    """Validate one attribute value and return it in canonical form (a new dict).

    ``depth`` is the value's nesting level: an item's attribute is level 1. DynamoDB
    allows 32 levels (a scalar under 31 maps or lists); a 32nd map or list is refused,
    in items and in expression values alike.
    """
    if not isinstance(value, dict):
        raise serialization("Unexpected value type in payload")
    if len(value) != 1:
        if not value:
            raise validation(
                "Supplied AttributeValue is empty, must contain exactly one of the "
                "supported datatypes"
            )
        raise validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly "
            "one of the supported datatypes"
        )
    kind, data = next(iter(value.items()))
    if kind == "S":
        if not isinstance(data, str):
            raise serialization("NUMBER_VALUE cannot be converted to String")
        return value
    if kind == "N":
        return {"N": canonical_number(data)}
    if kind == "B":
        return {"B": canonical_binary(data)}
    if kind == "BOOL":
        if not isinstance(data, bool):
            raise serialization("Unexpected token received from parser")
        return value
    if kind == "NULL":
        if data is not True:
            raise invalid_parameter("Null attribute value types must have the value of true")
        return value
    if kind == "L":
        if not isinstance(data, list):
            raise serialization("Unexpected list element termination")
        _check_depth(depth)
        return {"L": [canonical_value(v, depth + 1) for v in data]}
    if kind == "M":
        if not isinstance(data, dict):
            raise serialization("Unexpected value type in payload")
        _check_depth(depth)
        return {"M": {k: canonical_value(v, depth + 1) for k, v in data.items()}}
    if kind in SET_TYPES:
        return {kind: _canonical_set(kind, data)}
    raise serialization(f"Supplied AttributeValue has an unknown datatype: {kind}")


def _check_depth(depth: int) -> None:
    if depth >= MAX_DEPTH:
        raise validation(
            "Nesting Levels have exceeded supported limits: Attributes in the item have "
            "nested levels beyond supported limit"
        )


def _canonical_set(kind: str, data: Any) -> list[str]:
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise serialization("Unexpected value type in payload")
    if not data:
        # AWS's wording, double space included.
        raise invalid_parameter(f"An {_SET_NAMES[kind]} set  may not be empty")
    if kind == "NS":
        members = [canonical_number(x) for x in data]
    elif kind == "BS":
        members = [canonical_binary(x) for x in data]
    else:
        members = list(data)
    if len(set(members)) != len(members):
        raise invalid_parameter(f"Input collection [{', '.join(data)}] contains duplicates.")
    return members


def canonical_item(item: Any) -> Item:
    if not isinstance(item, dict):
        raise serialization("Unexpected value type in payload")
    for name in item:
        check_attribute_name(name)
    return {name: canonical_value(value) for name, value in item.items()}


def check_attribute_name(name: str) -> None:
    """ "Attribute names must be at least one character long and less than 64 KB in size"
    (naming rules); the wording is DynamoDB's (its downloadable edition's error table)."""
    if not name:
        raise validation("Empty attribute name")
    if len(name) >= MAX_NAME_BYTES // 4 and len(name.encode("utf-8", "surrogatepass")) >= (
        MAX_NAME_BYTES
    ):
        raise validation(f"Attribute name is too large, must be less than {MAX_NAME_BYTES} bytes")


# -- equality and order ------------------------------------------------------------------


def equal(a: AttributeValue, b: AttributeValue) -> bool:
    """DynamoDB equality of canonical values: sets compare as sets."""
    kind = type_of(a)
    if kind != type_of(b):
        return False
    x, y = a[kind], b[kind]
    if kind in SET_TYPES:
        return len(x) == len(y) and set(x) == set(y)
    if kind == "L":
        return len(x) == len(y) and all(equal(p, q) for p, q in zip(x, y, strict=True))
    if kind == "M":
        return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
    return bool(x == y)


def compare(a: AttributeValue, b: AttributeValue) -> int | None:
    """-1/0/1 for two values of the same ordered type (S, N, B); None if not comparable.

    Strings order by their UTF-8 bytes (the same as code points), binaries as unsigned
    bytes, numbers numerically.
    """
    kind = type_of(a)
    if kind != type_of(b) or kind not in SCALAR_KEY_TYPES:
        return None
    if kind == "N":
        x: Any = Decimal(a["N"])
        y: Any = Decimal(b["N"])
    elif kind == "B":
        x, y = base64.b64decode(a["B"]), base64.b64decode(b["B"])
    else:
        x, y = a["S"], b["S"]
    return int(x > y) - int(x < y)


# -- size --------------------------------------------------------------------------------


def number_size(text: str) -> int:
    """Bytes a number takes: 1 + one per two digits (aligned on the decimal point), and
    one more when negative. AWS documents "(1 byte per two significant digits) + (1 byte)";
    the alignment follows the base-100 representation that rule comes from."""
    number = Decimal(text)
    if not number:
        return 1
    sign, digits, exponent = number.normalize(_FORMAT).as_tuple()
    assert isinstance(exponent, int)
    high = exponent + len(digits) - 1
    pairs = high // 2 - exponent // 2 + 1
    return 1 + pairs + sign


def value_size(value: AttributeValue) -> int:
    kind, data = next(iter(value.items()))
    if kind == "S":
        return len(data.encode("utf-8", "surrogatepass"))
    if kind == "N":
        return number_size(data)
    if kind == "B":
        return binary_length(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(x.encode("utf-8", "surrogatepass")) for x in data)
    if kind == "NS":
        return sum(number_size(x) for x in data)
    if kind == "BS":
        return sum(binary_length(x) for x in data)
    # AWS: a list or map takes 3 bytes, plus 1 byte per element, plus its elements.
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in data)
    return 3 + sum(
        1 + len(k.encode("utf-8", "surrogatepass")) + value_size(v) for k, v in data.items()
    )


def item_size(item: Item) -> int:
    return sum(
        len(name.encode("utf-8", "surrogatepass")) + value_size(value)
        for name, value in item.items()
    )
