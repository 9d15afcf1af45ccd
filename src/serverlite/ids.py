"""Identifiers: request ids and trace ids, unique but cheap (no syscall per id).

These identify requests; they protect nothing, so a PRNG seeded from the OS is
enough (``uuid.uuid4`` costs an ``os.urandom`` call per id, on the hot path).
"""

from __future__ import annotations

import random
import time

_random = random.Random()


_VERSION_4 = (0x4 << 76) | (0x2 << 62)  # version nibble 4, variant bits 10
_NOT_VERSION = ~((0xF << 76) | (0x3 << 62))


def request_id() -> str:
    """A version-4 UUID string, as AWS request ids look."""
    h = f"{(_random.getrandbits(128) & _NOT_VERSION) | _VERSION_4:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def hex_token(chars: int) -> str:
    return f"{_random.getrandbits(chars * 4):0{chars}x}"


def random_bytes(count: int) -> bytes:
    return _random.getrandbits(count * 8).to_bytes(count, "big")


def trace_root(now: float | None = None) -> str:
    """An X-Ray trace id (``1-{epoch seconds in hex}-{24 hex digits}``)."""
    now = time.time() if now is None else now
    return f"1-{int(now):08x}-{_random.getrandbits(96):024x}"


def trace_id(now: float | None = None, root: str | None = None) -> str:
    """An X-Ray trace header, as Lambda sets _X_AMZN_TRACE_ID for each invocation
    (``root``: the trace it continues, e.g. the one API Gateway started)."""
    if root is not None:
        return f"Root={root};Parent={_random.getrandbits(64):016x};Sampled=0"
    now = time.time() if now is None else now
    h = f"{_random.getrandbits(160):040x}"  # 24 hex digits of root id, 16 of parent
    return f"Root=1-{int(now):08x}-{h[:24]};Parent={h[24:]};Sampled=0"
