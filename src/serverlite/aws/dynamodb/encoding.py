"""Key values as bytes whose memcmp order is DynamoDB's order.

SQLite compares BLOBs with memcmp (then by length), so storing each key attribute
in its own BLOB column, encoded here, turns a Query's sort-key condition into an
index range seek. A key attribute has one declared type, so the encoding only has
to order values of one type:

- S: the UTF-8 bytes (DynamoDB orders strings by their UTF-8 bytes);
- B: the bytes themselves (unsigned byte order);
- N: sign, exponent, then base-100 digit pairs, as below.

A number ``0.d1d2... x 10^e`` (d1 != 0, trailing zeros dropped) is encoded as a
class byte (1 negative, 2 zero, 3 positive), the exponent as two bytes, then the
digits two per byte. Without trailing zeros, a shorter digit string is a smaller
magnitude, which memcmp's "prefix sorts first" gives for free. For negatives every
part is inverted (exponent ``0xFFFF - e``, pair ``200 - p``) and a final 0xFF makes
a shorter magnitude (a larger negative number) sort after its extensions.

The partition hash (``partition_hash``) spreads partition keys the way DynamoDB's
hashing does, so a Scan returns items in hash order and parallel-scan segments are
contiguous hash ranges.
"""

from __future__ import annotations

import base64
import zlib
from decimal import Decimal

from .types import AttributeValue

HASH_SPACE = 1 << 32
_EXPONENT_BIAS = 0x8000


def encode_number(text: str) -> bytes:
    number = Decimal(text)
    if not number:
        return b"\x02"
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    text_digits = "".join(map(str, digits)).rstrip("0")
    exponent += len(digits)  # now: 0.d1d2... x 10^exponent
    if len(text_digits) % 2:
        text_digits += "0"
    pairs = [int(text_digits[i : i + 2]) for i in range(0, len(text_digits), 2)]
    biased = exponent + _EXPONENT_BIAS
    if not sign:
        return bytes([3, biased >> 8, biased & 0xFF, *pairs])
    inverted = 0xFFFF - biased
    return bytes([1, inverted >> 8, inverted & 0xFF, *(200 - p for p in pairs), 0xFF])


def encode_key(value: AttributeValue) -> bytes:
    """A canonical S, N or B value as order-preserving bytes."""
    if "S" in value:
        return str(value["S"]).encode("utf-8", "surrogatepass")
    if "N" in value:
        return encode_number(value["N"])
    return base64.b64decode(value["B"])


def partition_hash(encoded_pk: bytes) -> int:
    return zlib.crc32(encoded_pk)


def segment_range(segment: int, total: int) -> tuple[int, int]:
    """The [low, high) hash range of one parallel-scan segment."""
    return segment * HASH_SPACE // total, (segment + 1) * HASH_SPACE // total


def prefix_successor(prefix: bytes) -> bytes | None:
    """The smallest byte string greater than every string starting with ``prefix``."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])
