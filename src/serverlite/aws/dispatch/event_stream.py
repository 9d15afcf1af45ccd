"""AWS's event stream encoding (``application/vnd.amazon.eventstream``): the framing
botocore reads an operation's event stream output from (``StartLiveTail``).

A message is a prelude (total length, headers length, the prelude's CRC32), string
headers (name length, name, type 7, value length, value), the payload and the CRC32
of everything before it, all big-endian. An RPC (JSON) protocol's stream starts with
an ``initial-response`` event holding the output's other members; each event is
``:message-type: event`` with its ``:event-type``; a modelled error of the stream is
``:message-type: exception`` with its ``:exception-type``, and ends it.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

_STRING = 7
CONTENT_TYPE = "application/vnd.amazon.eventstream"


def message(headers: list[tuple[str, str]], payload: bytes) -> bytes:
    encoded = b"".join(
        len(n := name.encode()).to_bytes(1, "big")
        + n
        + _STRING.to_bytes(1, "big")
        + len(v := value.encode()).to_bytes(2, "big")
        + v
        for name, value in headers
    )
    total = 12 + len(encoded) + len(payload) + 4
    prelude = total.to_bytes(4, "big") + len(encoded).to_bytes(4, "big")
    frame = prelude + zlib.crc32(prelude).to_bytes(4, "big") + encoded + payload
    return frame + zlib.crc32(frame).to_bytes(4, "big")


def event(event_type: str, members: dict[str, Any]) -> bytes:
    return message(
        [
            (":event-type", event_type),
            (":content-type", "application/json"),
            (":message-type", "event"),
        ],
        json.dumps(members, separators=(",", ":")).encode(),
    )


def exception(exception_type: str, text: str) -> bytes:
    return message(
        [
            (":exception-type", exception_type),
            (":content-type", "application/json"),
            (":message-type", "exception"),
        ],
        json.dumps({"message": text}).encode(),
    )
