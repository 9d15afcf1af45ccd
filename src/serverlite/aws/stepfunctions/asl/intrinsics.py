"""The intrinsic functions of JSONPath states: ``States.Format('{} {}', $.a, $$.b)``.

An argument is a string in single quotes (``\\'``, ``\\{``, ``\\}`` and ``\\\\`` escaped), a
number, ``true`` / ``false`` / ``null``, a path (``$.x``, ``$$.x``, ``$variable.x``) or
another intrinsic. A wrong argument is ``States.IntrinsicFailure`` (AWS's name).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import jsonpath
from .errors import INTRINSIC, StatesError

MAX_RANGE = 1000  # States.ArrayRange: "limited to 1000 elements"
MAX_BASE64 = 10_000  # Base64Encode's input and Base64Decode's input, in characters
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")
_HASHES = {
    "MD5": hashlib.md5,
    "SHA-1": hashlib.sha1,
    "SHA-256": hashlib.sha256,
    "SHA-384": hashlib.sha384,
    "SHA-512": hashlib.sha512,
}

Resolve = Callable[[str], Any]  # a path -> its value (raises jsonpath.NoMatch)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Path:
    text: str


@dataclass(frozen=True)
class Literal:
    value: Any


def is_intrinsic(text: str) -> bool:
    return text.startswith("States.") and text.rstrip().endswith(")")


def parse(text: str) -> Call:
    node, end = _call(text.strip(), 0)
    if end != len(text.strip()):
        raise StatesError(INTRINSIC, f"unexpected text after the function in {text}")
    return node


def _call(text: str, i: int) -> tuple[Call, int]:
    match = re.compile(r"States\.[A-Za-z0-9]+").match(text, i)
    if not match or not text.startswith("(", match.end()):
        raise StatesError(INTRINSIC, f"not an intrinsic function: {text[i:]}")
    name = match.group()
    if name not in FUNCTIONS:
        raise StatesError(INTRINSIC, f"the intrinsic function {name} does not exist")
    i = match.end() + 1
    args: list[Any] = []
    i = _skip(text, i)
    if text.startswith(")", i):
        return Call(name, ()), i + 1
    while True:
        arg, i = _argument(text, i)
        args.append(arg)
        i = _skip(text, i)
        if text.startswith(")", i):
            return Call(name, tuple(args)), i + 1
        if not text.startswith(",", i):
            raise StatesError(INTRINSIC, f"expected ',' or ')' at {i} in {text}")
        i = _skip(text, i + 1)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def _argument(text: str, i: int) -> tuple[Any, int]:
    if text.startswith("'", i):
        return _string(text, i + 1)
    if text.startswith("States.", i):
        return _call(text, i)
    if text.startswith("$", i):
        end = i
        depth = 0
        while end < len(text):
            char = text[end]
            if char == "[":
                depth += 1
            elif char == "]":
                depth -= 1
            elif char in ",)" and depth == 0:
                break
            end += 1
        return Path(text[i:end].strip()), end
    for word, value in (("true", True), ("false", False), ("null", None)):
        if text.startswith(word, i):
            return Literal(value), i + len(word)
    match = _NUMBER.match(text, i)
    if match:
        number = json.loads(match.group())
        return Literal(number), match.end()
    raise StatesError(INTRINSIC, f"an argument Step Functions cannot read at {i} in {text}")


# Escaped braces stay apart from placeholders until States.Format has split on "{}".
_OPEN, _CLOSE = "\ue000", "\ue001"


def _string(text: str, i: int) -> tuple[Literal, int]:
    out: list[str] = []
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"{": _OPEN, "}": _CLOSE}.get(nxt, nxt if nxt in "'\\" else "\\" + nxt))
            i += 2
            continue
        if char == "'":
            return Literal("".join(out)), i + 1
        out.append(char)
        i += 1
    raise StatesError(INTRINSIC, f"an unclosed string in {text}")


def _restore(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(_OPEN, "{").replace(_CLOSE, "}")
    return value


def evaluate(text: str, resolve: Resolve) -> Any:
    return _evaluate(parse(text), resolve)


def _evaluate(node: Any, resolve: Resolve) -> Any:
    if isinstance(node, Literal):
        return _restore(node.value)
    if isinstance(node, Path):
        try:
            return resolve(node.text)
        except jsonpath.NoMatch as exc:
            raise StatesError(
                INTRINSIC,
                f"The JsonPath argument '{node.text}' could not be found in the input",
            ) from exc
    if isinstance(node, Call):
        if node.name == "States.Format":
            return _format(node, resolve)
        args = [_evaluate(arg, resolve) for arg in node.args]
        try:
            return FUNCTIONS[node.name](*args)
        except StatesError:
            raise
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise StatesError(
                INTRINSIC, f"Invalid arguments in {node.name}: {exc}".rstrip(": ")
            ) from exc
    raise StatesError(INTRINSIC, f"cannot evaluate {node!r}")


def _format(node: Call, resolve: Resolve) -> str:
    if not node.args or not isinstance(node.args[0], Literal):
        raise StatesError(INTRINSIC, "States.Format needs a template string first")
    template = node.args[0].value
    values = [_evaluate(arg, resolve) for arg in node.args[1:]]
    pieces = template.split("{}")
    if len(pieces) - 1 != len(values):
        raise StatesError(
            INTRINSIC,
            f"Number of arguments in States.Format ({len(values)}) does not match the "
            f"number of placeholders ({len(pieces) - 1})",
        )
    out = pieces[0]
    for value, piece in zip(values, pieces[1:], strict=True):
        if isinstance(value, dict | list):
            raise StatesError(INTRINSIC, "States.Format takes only strings, numbers, booleans")
        out += _text(value) + piece
    return str(_restore(out))


def _text(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise StatesError(INTRINSIC, f"{what} must be an integer, got {json.dumps(value)}")
    return int(value)


def _array(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise StatesError(INTRINSIC, f"{what} must be an array")
    return value


def _string_to_json(text: Any) -> Any:
    if not isinstance(text, str):
        raise StatesError(INTRINSIC, "States.StringToJson takes a string")
    return json.loads(text) if text.strip() else None


def _json_to_string(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _partition(items: Any, size: Any) -> list[list[Any]]:
    array, chunk = _array(items, "States.ArrayPartition's first argument"), _int(size, "size")
    if chunk <= 0:
        raise StatesError(INTRINSIC, "States.ArrayPartition's size must be positive")
    return [array[i : i + chunk] for i in range(0, len(array), chunk)]


def _range(start: Any, end: Any, step: Any) -> list[int]:
    first, last, stride = _int(start, "start"), _int(end, "end"), _int(step, "step")
    if stride == 0:
        raise StatesError(INTRINSIC, "States.ArrayRange's step cannot be 0")
    values = list(range(first, last + (1 if stride > 0 else -1), stride))
    if len(values) > MAX_RANGE:
        raise StatesError(
            INTRINSIC, f"States.ArrayRange makes at most {MAX_RANGE} items, not {len(values)}"
        )
    return values


def _get_item(items: Any, index: Any) -> Any:
    return _array(items, "States.ArrayGetItem's first argument")[_int(index, "index")]


def _unique(items: Any) -> list[Any]:
    seen: list[str] = []
    out: list[Any] = []
    for item in _array(items, "States.ArrayUnique's argument"):
        key = json.dumps(item, sort_keys=True)
        if key not in seen:
            seen.append(key)
            out.append(item)
    return out


def _b64encode(text: Any) -> str:
    if not isinstance(text, str) or len(text) > MAX_BASE64:
        raise StatesError(INTRINSIC, f"States.Base64Encode takes a string of {MAX_BASE64} or less")
    return base64.b64encode(text.encode()).decode()


def _b64decode(text: Any) -> str:
    if not isinstance(text, str) or len(text) > MAX_BASE64:
        raise StatesError(INTRINSIC, f"States.Base64Decode takes a string of {MAX_BASE64} or less")
    return base64.b64decode(text, validate=True).decode()


def _hash(data: Any, algorithm: Any) -> str:
    if algorithm not in _HASHES:
        raise StatesError(INTRINSIC, f"States.Hash's algorithm must be one of {', '.join(_HASHES)}")
    text = data if isinstance(data, str) else _json_to_string(data)
    digest: str = _HASHES[algorithm](text.encode()).hexdigest()
    return digest


def _merge(first: Any, second: Any, deep: Any) -> dict[str, Any]:
    if deep is not False:
        raise StatesError(INTRINSIC, "States.JsonMerge supports only shallow merges (false)")
    if not isinstance(first, dict) or not isinstance(second, dict):
        raise StatesError(INTRINSIC, "States.JsonMerge merges two objects")
    return {**first, **second}


def _random(start: Any, end: Any, seed: Any = None) -> int:
    low, high = _int(start, "start"), _int(end, "end")
    generator = random.Random(_int(seed, "seed")) if seed is not None else random
    return generator.randrange(low, high) if high > low else low


def _add(first: Any, second: Any) -> int:
    return _int(first, "States.MathAdd's first value") + _int(second, "second value")


def _split(text: Any, delimiters: Any) -> list[str]:
    if not isinstance(text, str) or not isinstance(delimiters, str):
        raise StatesError(INTRINSIC, "States.StringSplit splits a string by a string")
    if not delimiters:
        return [text]
    parts = re.split("[" + re.escape(delimiters) + "]", text)
    return [part for part in parts if part]


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "States.Format": lambda *a: None,  # evaluated by _format: it sees the literal
    "States.StringToJson": _string_to_json,
    "States.JsonToString": _json_to_string,
    "States.Array": lambda *items: list(items),
    "States.ArrayPartition": _partition,
    "States.ArrayContains": lambda items, value: value in _array(items, "first argument"),
    "States.ArrayRange": _range,
    "States.ArrayGetItem": _get_item,
    "States.ArrayLength": lambda items: len(_array(items, "States.ArrayLength's argument")),
    "States.ArrayUnique": _unique,
    "States.Base64Encode": _b64encode,
    "States.Base64Decode": _b64decode,
    "States.Hash": _hash,
    "States.JsonMerge": _merge,
    "States.MathRandom": _random,
    "States.MathAdd": _add,
    "States.StringSplit": _split,
    "States.UUID": lambda: str(uuid.uuid4()),
}
