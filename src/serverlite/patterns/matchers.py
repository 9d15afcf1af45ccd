"""Leaf matchers of the event pattern language: one class per comparison.

Each matcher tests one leaf value of an event (a string, a number, ``true``,
``false`` or ``null``; arrays are flattened before a matcher sees them). Numbers
reach a matcher as ``JsonNumber`` when the event came as JSON text, so the exact
text ``3.0e2`` is still known. A literal number matches by text or by value (see
``Exact``); ``numeric`` and numeric ``anything-but`` compare by value.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from decimal import ROUND_DOWN, Context, Decimal, InvalidOperation
from typing import Any

from . import wildcard

# AWS: numeric matching is precise to "six digits to the right of the decimal point".
_SIX_PLACES = Decimal("0.000001")
_LARGEST = Decimal("1.7976931348623157e308")  # AWS compares numbers as IEEE-754 doubles
# Each regex below has one way to match any text (no nested or adjacent ambiguous
# repeats), so it runs in linear time on hostile input. The longest IP literal is 45
# characters; longer text is refused before any regex sees it.
_IP_MAX = 45
_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]+")


class JsonNumber(float):
    """A JSON number that remembers how it was written (``300`` vs ``300.0``)."""

    __slots__ = ("text",)
    text: str

    def __new__(cls, text: str) -> JsonNumber:
        number = super().__new__(cls, text)
        number.text = text
        return number


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_text(value: Any) -> str:
    """The JSON text of a number (its original text when known)."""
    if isinstance(value, JsonNumber):
        return value.text
    return json.dumps(value)


def decimal_of(value: Any) -> Decimal | None:
    """The number truncated to six decimal places, or None (NaN, infinities, non-numbers,
    and numbers beyond a double's range, which AWS cannot compare either)."""
    if not is_number(value):
        return None
    try:
        number = Decimal(number_text(value))
    except InvalidOperation:
        return None
    # copy_abs and comparisons are exact: no context, so nothing rounds or overflows
    if not number.is_finite() or number.copy_abs() > _LARGEST:
        return None
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -6:
        return number  # nothing past the sixth decimal place to cut
    # Enough precision for every digit kept, so a long number never raises.
    context = Context(prec=number.adjusted() + 8 if number.adjusted() > 0 else 8)
    return number.quantize(_SIX_PLACES, rounding=ROUND_DOWN, context=context)


def looks_like_ip(text: str) -> bool:
    """Does the text have the shape of an IP literal (AWS's test before parsing it)?"""
    if len(text) > _IP_MAX:
        return False
    return bool(_IPV4.fullmatch(text) or (":" in text and _IPV6.fullmatch(text)))


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if not looks_like_ip(text):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


class Matcher:
    """Tests one leaf value of an event."""

    def test(self, value: Any) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class Exact(Matcher):
    """A literal: strings, ``true``/``false``/``null`` and numbers.

    A number matches the same text or the same value: AWS's engine adds a numeric
    equality beside the literal one, so ``300.0`` and ``3.0e2`` in an event match ``300``
    in a pattern (observed on AWS, although its user guide says they do not).
    """

    value: Any

    def test(self, value: Any) -> bool:
        expected = self.value
        if expected is None or isinstance(expected, bool):
            return value is expected
        if isinstance(expected, str):
            return isinstance(value, str) and value == expected
        if not is_number(value):
            return False
        if number_text(value) == number_text(expected):
            return True
        number = decimal_of(value)
        return number is not None and number == decimal_of(expected)


@dataclass(frozen=True)
class ExactIp(Matcher):
    """A literal string that is an IP address also matches other spellings of it."""

    text: str
    address: ipaddress.IPv4Address | ipaddress.IPv6Address

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        return value == self.text or parse_ip(value) == self.address


@dataclass(frozen=True)
class Prefix(Matcher):
    prefix: str
    ignore_case: bool = False

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return value.lower().startswith(self.prefix.lower())
        return value.startswith(self.prefix)


@dataclass(frozen=True)
class Suffix(Matcher):
    suffix: str
    ignore_case: bool = False

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if self.ignore_case:
            return value.lower().endswith(self.suffix.lower())
        return value.endswith(self.suffix)


@dataclass(frozen=True)
class EqualsIgnoreCase(Matcher):
    value: str

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and value.lower() == self.value.lower()


@dataclass(frozen=True)
class Wildcard(Matcher):
    """``wildcard``: the value's literal segments, matched in linear time."""

    segments: tuple[str, ...]

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and wildcard.match(self.segments, value)


@dataclass(frozen=True)
class Numeric(Matcher):
    """``numeric``: only JSON numbers match; bounds are inclusive unless ``open``."""

    low: Decimal | None = None
    low_open: bool = False
    high: Decimal | None = None
    high_open: bool = False

    def test(self, value: Any) -> bool:
        number = decimal_of(value)
        if number is None:
            return False
        if self.low is not None and (number <= self.low if self.low_open else number < self.low):
            return False
        return not (
            self.high is not None
            and (number >= self.high if self.high_open else number > self.high)
        )


@dataclass(frozen=True)
class Cidr(Matcher):
    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        address = parse_ip(value)
        return (
            address is not None
            and address.version == self.network.version
            and address in self.network
        )


@dataclass(frozen=True)
class AnythingBut(Matcher):
    """Matches every value the inner test refuses, including values of other types.

    AWS treats an array in the event value by value: ``anything-but [100, 500]``
    matches ``[100, 50]`` because 50 is neither.
    """

    refuses: Callable[[Any], bool]
    inner: tuple[Matcher, ...] = ()  # the matchers of anything-but {prefix|wildcard|...}

    def test(self, value: Any) -> bool:
        return not self.refuses(value)


def anything_but_strings(values: Collection[str]) -> AnythingBut:
    members = frozenset(values)
    return AnythingBut(lambda value: isinstance(value, str) and value in members)


def anything_but_numbers(values: Collection[Decimal]) -> AnythingBut:
    members = frozenset(values)
    return AnythingBut(lambda value: decimal_of(value) in members)


def anything_but_any(matchers: Collection[Matcher]) -> AnythingBut:
    """anything-but {prefix|suffix|equals-ignore-case|wildcard: value or list}."""
    inner = tuple(matchers)
    return AnythingBut(lambda value: any(m.test(value) for m in inner), inner)
