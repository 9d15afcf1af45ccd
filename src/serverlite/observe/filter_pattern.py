"""CloudWatch Logs filter patterns (FilterLogEvents, subscription filters, live tail).

- Terms: ``ERROR`` (every term present, case-sensitive), ``"exact phrase"``,
  ``-excluded``, ``?either ?or`` (any of them); ``""`` matches everything.
- JSON: ``{ $.level = "ERROR" }``, ``{ $.latency > 500 }``, ``{ $.user.id = 7 && $.ok IS
  TRUE }``, ``||``, parentheses, ``"prefix*"`` wildcards, ``IS NULL``, ``EXISTS`` and
  ``NOT EXISTS``, array elements ``$.items[0].sku``.
- Space-delimited: ``[ip, user, ..., status = 404, size > 1000]`` over the fields of a
  line split at spaces (a quoted or bracketed field is one field; ``...`` stands for any
  number of fields).
A pattern serverlite cannot read is refused (InvalidParameterException), never
matched loosely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

Matcher = Callable[[str], bool]
_MISSING = object()


class PatternError(ValueError):
    pass


def compile_pattern(pattern: str | None) -> Matcher:
    text = (pattern or "").strip()
    if not text:
        return lambda message: True
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError("A JSON filter pattern ends with '}'")
        return _json_pattern(text[1:-1])
    if text.startswith("["):
        if not text.endswith("]"):
            raise PatternError("A space-delimited filter pattern ends with ']'")
        return _delimited_pattern(text[1:-1])
    return _term_pattern(text)


# -- terms -------------------------------------------------------------------------------
_TERM = re.compile(r'([-?]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))')


def _term_pattern(text: str) -> Matcher:
    required: list[str] = []
    excluded: list[str] = []
    optional: list[str] = []
    for sign, quoted, bare in _TERM.findall(text):
        term = quoted.replace('\\"', '"') if quoted else bare
        (excluded if sign == "-" else optional if sign == "?" else required).append(term)

    def match(message: str) -> bool:
        if optional and not any(t in message for t in optional):
            return False
        return all(t in message for t in required) and not any(t in message for t in excluded)

    return match


# -- JSON --------------------------------------------------------------------------------
_JSON_TOKEN = re.compile(
    r'\s*(?:(?P<sel>\$(?:\.[\w$@-]+|\[\d+\])*)|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))"
    r"|(?P<word>[A-Za-z]+))"
)


def _json_pattern(body: str) -> Matcher:
    tokens = []
    pos = 0
    body = body.strip()
    while pos < len(body):
        found = _JSON_TOKEN.match(body, pos)
        if found is None or found.end() == pos:
            raise PatternError(f"Cannot read the filter pattern at {body[pos : pos + 20]!r}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        pos = found.end()
    parser = _JsonParser(tokens)
    predicate = parser.expression()
    if parser.pos != len(tokens):
        raise PatternError(f"Unexpected {tokens[parser.pos][1]!r} in the filter pattern")

    def match(message: str) -> bool:
        try:
            doc = json.loads(message)
        except ValueError:
            return False
        return predicate(doc)

    return match


class _JsonParser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise PatternError("The filter pattern ends too soon")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expression(self) -> Callable[[Any], bool]:
        left = self.conjunction()
        while self.peek() == "||":
            self.take()
            right = self.conjunction()
            left = _either(left, right)
        return left

    def conjunction(self) -> Callable[[Any], bool]:
        left = self.atom()
        while self.peek() == "&&":
            self.take()
            right = self.atom()
            left = _both(left, right)
        return left

    def atom(self) -> Callable[[Any], bool]:
        if self.peek() == "(":
            self.take()
            inner = self.expression()
            if self.take()[1] != ")":
                raise PatternError("Expected ')'")
            return inner
        kind, selector = self.take()
        if kind != "sel":
            raise PatternError(f"Expected a selector such as $.level, found {selector!r}")
        path = _path(selector)
        kind, op = self.take()
        if kind == "word":
            return self._keyword(path, op.upper())
        if kind != "op":
            raise PatternError(f"Expected a comparison after {selector}")
        kind, raw = self.take()
        if kind == "str":
            wanted: Any = raw[1:-1].replace('\\"', '"')
        elif kind == "num":
            wanted = float(raw)
        else:
            raise PatternError(f"Expected a value after {selector} {op}")
        return lambda d: _compare(_lookup(d, path), op, wanted)

    def _keyword(self, path: list[str | int], word: str) -> Callable[[Any], bool]:
        if word == "EXISTS":
            return lambda d: _lookup(d, path) is not _MISSING
        if word == "NOT":
            if self.take()[1].upper() != "EXISTS":
                raise PatternError("Expected NOT EXISTS")
            return lambda d: _lookup(d, path) is _MISSING
        if word == "IS":
            value = self.take()[1].upper()
            expected = {"TRUE": True, "FALSE": False, "NULL": None}
            if value not in expected:
                raise PatternError("Expected IS TRUE, IS FALSE or IS NULL")
            target = expected[value]
            return lambda d: _lookup(d, path) is target
        raise PatternError(f"Unexpected {word!r}")


def _either(a: Callable[[Any], bool], b: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda d: a(d) or b(d)


def _both(a: Callable[[Any], bool], b: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda d: a(d) and b(d)


def _path(selector: str) -> list[str | int]:
    parts: list[str | int] = []
    for name, index in re.findall(r"\.([\w$@-]+)|\[(\d+)\]", selector[1:]):
        parts.append(int(index) if index else name)
    return parts


def _lookup(doc: Any, path: list[str | int]) -> Any:
    for part in path:
        if isinstance(part, int):
            if not isinstance(doc, list) or part >= len(doc):
                return _MISSING
            doc = doc[part]
        else:
            if not isinstance(doc, dict) or part not in doc:
                return _MISSING
            doc = doc[part]
    return doc


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    if actual is _MISSING:
        return False
    if isinstance(wanted, float):
        if isinstance(actual, bool) or not isinstance(actual, (int, float)):
            return op == "!="
        return _numeric(float(actual), op, wanted)
    text = actual if isinstance(actual, str) else json.dumps(actual)
    matched = _glob(wanted).fullmatch(text) is not None
    if op == "=":
        return matched
    if op == "!=":
        return not matched
    raise PatternError(f"{op} compares numbers")


def _numeric(actual: float, op: str, wanted: float) -> bool:
    return {
        "=": actual == wanted,
        "!=": actual != wanted,
        "<": actual < wanted,
        "<=": actual <= wanted,
        ">": actual > wanted,
        ">=": actual >= wanted,
    }[op]


def _glob(value: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in value.split("*")), re.S)


# -- space-delimited ---------------------------------------------------------------------
_FIELD = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')
_CONDITION = re.compile(r"^\s*([\w.-]+)\s*(?:(!=|<=|>=|=|<|>)\s*(.+?))?\s*$")


def _delimited_pattern(body: str) -> Matcher:
    specs: list[tuple[str, str | None, Any] | None] = []  # None: the ellipsis
    for item in body.split(","):
        raw = item.strip()
        if raw == "...":
            specs.append(None)
            continue
        found = _CONDITION.match(raw)
        if found is None:
            raise PatternError(f"Cannot read the field {raw!r} of the filter pattern")
        name, op, value = found.groups()
        if op is None:
            specs.append((name, None, None))
            continue
        value = value.strip()
        if value.startswith('"') and value.endswith('"'):
            wanted: Any = value[1:-1]
        else:
            try:
                wanted = float(value)
            except ValueError:
                wanted = value
        specs.append((name, op, wanted))

    def match(message: str) -> bool:
        fields = [f.strip('"') if f.startswith('"') else f for f in _FIELD.findall(message)]
        return _match_fields(specs, fields)

    return match


def _match_fields(specs: list[tuple[str, str | None, Any] | None], fields: list[str]) -> bool:
    if not specs:
        return not fields
    spec = specs[0]
    if spec is None:  # "...": any number of fields
        return any(_match_fields(specs[1:], fields[i:]) for i in range(len(fields) + 1))
    if not fields:
        return False
    _, op, wanted = spec
    if op is not None and not _compare(_typed(fields[0], wanted), op, wanted):
        return False
    return _match_fields(specs[1:], fields[1:])


def _typed(field: str, wanted: Any) -> Any:
    if isinstance(wanted, float):
        try:
            return float(field)
        except ValueError:
            return field
    return field
