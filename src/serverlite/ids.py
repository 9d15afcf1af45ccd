"""Identifiers: request ids and trace ids, unique but cheap (no syscall per id).

These identify requests; they protect nothing, so a PRNG seeded from the OS is
enough (``uuid.uuid4`` costs an ``os.urandom`` call per id, on the hot path).

A gateway request makes several (API Gateway's and Lambda's request ids, its trace
root and parent, the extended request id), so each is random bits turned into bytes
and ``bytes.hex``: about twice as fast as formatting the int zero-padded
(``f"{n:032x}"``), with the same digits.
"""

from __future__ import annotations

import random
import time

_random = random.Random()
_bits = _random.getrandbits

# A version-4 UUID (RFC 9562): the version nibble (bits 76-79) is 4 and the variant
# bits (62-63) are 10, so the third group starts with 4 and the fourth with 8, 9, a or b.
_VERSION_4 = (0x4 << 76) | (0x2 << 62)
_NOT_VERSION = ((1 << 128) - 1) ^ ((0xF << 76) | (0x3 << 62))


def request_id() -> str:
    """A version-4 UUID string, as AWS request ids look (lower-case hex, 8-4-4-4-12)."""
    # Hex in groups of 4 (``xxxx-xxxx-...``, 39 characters), less 3 of the 7 dashes:
    # four slices, where splitting plain hex 8-4-4-4-12 takes five and the dashes.
    h = ((_bits(128) & _NOT_VERSION) | _VERSION_4).to_bytes(16, "big").hex("-", 2)
    return f"{h[:4]}{h[5:29]}{h[30:34]}{h[35:]}"


def hex_token(chars: int) -> str:
    """``chars`` random lower-case hex digits."""
    if chars & 1:
        return f"{_bits(chars * 4):0{chars}x}"
    return _bits(chars * 4).to_bytes(chars >> 1, "big").hex()


def random_bytes(count: int) -> bytes:
    return _bits(count * 8).to_bytes(count, "big")


def trace_root(now: float | None = None) -> str:
    """An X-Ray trace id (``1-{epoch seconds in 8 hex digits}-{24 hex digits}``)."""
    second = int(time.time() if now is None else now)
    head = second.to_bytes(4, "big").hex() if 0 <= second < 1 << 32 else f"{second:08x}"
    return f"1-{head}-{_bits(96).to_bytes(12, 'big').hex()}"


def trace_id(now: float | None = None, root: str | None = None) -> str:
    """An X-Ray trace header, as Lambda sets _X_AMZN_TRACE_ID for each invocation
    (``root``: the trace it continues, e.g. the one API Gateway started; None: a new
    trace, begun ``now``)."""
    if root is None:
        root = trace_root(now)
    return f"Root={root};Parent={_bits(64).to_bytes(8, 'big').hex()};Sampled=0"
