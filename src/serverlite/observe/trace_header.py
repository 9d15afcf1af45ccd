"""The X-Ray trace header:
``Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1``.

API Gateway reads it from ``X-Amzn-Trace-Id`` (or starts a trace), Lambda hands it to
the function as ``_X_AMZN_TRACE_ID``, botocore sends it back on every AWS call the
function makes, SQS keeps it as the ``AWSTraceHeader`` system attribute and
EventBridge as an event's ``TraceHeader``: one header carries a trace across every hop.
``Parent`` is the id of the segment or subsegment that made the call; ``Sampled``
whether the trace is recorded (absent: the receiver decides).
"""

from __future__ import annotations

import random
import re
from typing import NamedTuple

from serverlite.ids import trace_root

_random = random.Random()
_bits = _random.getrandbits
# Ids are random bytes in hex: bytes.hex is several times faster than formatting an
# int zero-padded ("%016x"), and every request makes a few.


# A trace id: version 1, the epoch second in 8 hex digits, 96 random bits (one maker
# of them: the gateway's roots and the function's own come from ids.py too).
new_root = trace_root


def new_id() -> str:
    """A segment or subsegment id: 64 bits in 16 hex digits."""
    return _bits(64).to_bytes(8, "big").hex()


def new_id_pair() -> tuple[str, str]:
    """Two segment ids from one draw (a segment and its subsegment, made together)."""
    ids = _bits(128).to_bytes(16, "big").hex()
    return ids[:16], ids[16:]


def header_text(root: str, parent: str | None = None, sampled: bool | None = None) -> str:
    """``Root=...;Parent=...;Sampled=1`` (Parent and Sampled when known), in one go."""
    if parent and sampled is not None:  # what Lambda hands a function: all three
        return f"Root={root};Parent={parent};Sampled={1 if sampled else 0}"
    text = f"Root={root}"
    if parent:
        text += f";Parent={parent}"
    if sampled is not None:
        text += f";Sampled={1 if sampled else 0}"
    return text


class TraceHeader(NamedTuple):
    # A named tuple, not a frozen dataclass: a request makes several, and a frozen
    # dataclass's __init__ (object.__setattr__ per field) costs five times as much.
    root: str
    parent: str | None = None
    sampled: bool | None = None

    def format(self) -> str:
        return header_text(self.root, self.parent, self.sampled)

    def child(self, parent: str) -> TraceHeader:
        """The header a call made from segment ``parent`` carries (always sampled-aware)."""
        return TraceHeader(self.root, parent, self.sampled)


def parse(text: str | None) -> TraceHeader | None:
    """The header's fields (keys in any order, other keys such as ``Lineage`` ignored);
    None when it has no usable ``Root``."""
    if not text:
        return None
    canonical = _CANONICAL.fullmatch(text)
    if canonical is not None:  # what serverlite and the SDKs send: one regex, no split
        root, parent, flag = canonical.groups()
        return TraceHeader(root, parent, None if flag is None else flag == "1")
    root = parent = None
    sampled: bool | None = None
    for part in text.split(";"):
        key, _, value = part.strip().partition("=")
        if key == "Root":
            root = value
        elif key == "Parent":
            parent = value or None
        elif key == "Sampled":
            sampled = {"1": True, "0": False}.get(value)
    if not root or not valid_root(root):
        return None
    return TraceHeader(root, parent, sampled)


_ROOT = re.compile(r"1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}")
# Root first, then Parent, then Sampled, nothing else: what ``format`` writes.
_CANONICAL = re.compile(
    r"Root=(1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24})(?:;Parent=([0-9a-fA-F]{16}))?(?:;Sampled=([01]))?"
)


def valid_root(root: str) -> bool:
    return _ROOT.fullmatch(root) is not None
