"""JSON on serverlite's hot paths: orjson where its result means the same as the stdlib's.

Every request through the gateway serialises an event and frames an invocation;
orjson does that ~15x faster than ``json``. Two of its differences matter, so:
- ``dumps`` falls back to ``json`` for what orjson refuses (integers beyond 64 bits,
  non-string keys, lone surrogates), which the stdlib writes;
- ``loads_own`` is only for JSON serverlite wrote itself: orjson reads integers beyond
  64 bits as floats, which must not happen to a user's payload.
``is_json`` accepts exactly what ``json.loads`` accepts (NaN included).
Execution environments never import this module: a function may bring its own orjson.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, separators=(",", ":")).encode()


def loads_own(data: bytes | bytearray | memoryview | str) -> Any:
    return orjson.loads(data)


def is_json(data: bytes) -> bool:
    try:
        orjson.loads(data)
    except orjson.JSONDecodeError:
        try:
            json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: too deep
            return False
    return True
