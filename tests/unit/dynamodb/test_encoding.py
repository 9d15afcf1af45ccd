import base64
import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from serverlite.aws.dynamodb import encoding, types

# Numbers DynamoDB accepts: up to 38 digits, exponents within range.
numbers = st.builds(
    lambda digits, exponent, negative: f"{'-' if negative else ''}{digits}E{exponent}",
    st.integers(min_value=0, max_value=10**38 - 1),
    st.integers(min_value=-120, max_value=80),
    st.booleans(),
)


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


@given(numbers, numbers)
def test_number_encoding_preserves_order(a, b):
    a, b = types.canonical_number(a), types.canonical_number(b)
    order = _sign((Decimal(a) > Decimal(b)) - (Decimal(a) < Decimal(b)))
    ea, eb = encoding.encode_number(a), encoding.encode_number(b)
    assert _sign((ea > eb) - (ea < eb)) == order


def test_number_encoding_on_edges():
    values = ["-1E+125", "-100", "-10", "-1.5", "-1", "-0.1", "-1E-130", "0",
              "1E-130", "0.1", "0.12", "1", "1.01", "10", "100", "9.9E+125"]  # fmt: skip
    encoded = [encoding.encode_number(types.canonical_number(v)) for v in values]
    assert encoded == sorted(encoded)
    assert len(set(encoded)) == len(encoded)


@given(st.text(), st.text())
def test_string_encoding_preserves_code_point_order(a, b):
    ea, eb = encoding.encode_key({"S": a}), encoding.encode_key({"S": b})
    assert (ea < eb) == (a < b)


@given(st.binary(), st.binary())
def test_binary_encoding_is_the_bytes(a, b):
    value = {"B": base64.b64encode(a).decode()}
    assert encoding.encode_key(value) == a
    assert (a < b) == (encoding.encode_key(value) < b)


@given(st.binary(min_size=1), st.binary())
def test_prefix_successor_bounds_every_extension(prefix, tail):
    successor = encoding.prefix_successor(prefix)
    if successor is None:
        assert set(prefix) == {0xFF}
        return
    assert prefix + tail < successor
    assert successor > prefix


def test_segments_cover_the_hash_space_without_overlap():
    for total in (1, 2, 3, 7, 1000):
        ranges = [encoding.segment_range(s, total) for s in range(total)]
        assert ranges[0][0] == 0
        assert ranges[-1][1] == encoding.HASH_SPACE
        for (_, high), (low, _) in itertools.pairwise(ranges):
            assert high == low
