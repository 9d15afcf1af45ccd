"""X-Ray filter expressions, the common part of the language.

Supported (X-Ray developer guide, "Use filter expressions"): the boolean keywords
``ok``, ``error``, ``fault``, ``throttle``, ``partial``; the numeric keywords
``responsetime`` and ``duration``; ``http.status``, ``http.url``, ``http.method``,
``http.useragent``, ``http.clientip``, ``user``; ``annotation.KEY``; the functions
``service("name")``, ``service(id(name: "n", type: "T"))`` and ``id(...)``; compared
with ``= != < <= > >=`` or ``CONTAINS BEGINSWITH ENDSWITH``, combined with ``AND``,
``OR``, ``!`` and parentheses. Anything else is refused with the error X-Ray gives an
expression it cannot read, never silently matched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from serverlite.observe.trace_assembly import Facts

Predicate = Callable[[Facts], bool]
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|=|<|>)'
    r"|(?P<punct>[(),:!])|(?P<word>[A-Za-z_@][\w.@\-]*))"
)
_TEXT_OPS = {"CONTAINS", "BEGINSWITH", "ENDSWITH"}


class FilterError(ValueError):
    pass


def compile_filter(expression: str | None) -> Predicate:
    if not expression or not expression.strip():
        return lambda facts: True
    parser = _Parser(_tokens(expression))
    predicate = parser.expression()
    if parser.peek() is not None:
        raise FilterError(f"Unexpected token {parser.peek()!r} in the filter expression")
    return predicate


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise FilterError(f"Cannot read the filter expression at {text[pos : pos + 20]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise FilterError("The filter expression ends too soon")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise FilterError(f"Expected {value!r}, found {token[1]!r}")

    def _word(self, *words: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1].upper() in words:
            self.pos += 1
            return True
        return False

    def expression(self) -> Predicate:
        left = self.conjunction()
        while self._word("OR"):
            right = self.conjunction()
            left = _or(left, right)
        return left

    def conjunction(self) -> Predicate:
        left = self.unary()
        while self._word("AND"):
            right = self.unary()
            left = _and(left, right)
        return left

    def unary(self) -> Predicate:
        token = self.peek()
        if token == ("punct", "!"):
            self.pos += 1
            inner = self.unary()
            return lambda facts: not inner(facts)
        if token == ("punct", "("):
            self.pos += 1
            inner = self.expression()
            self.expect(")")
            return inner
        return self.atom()

    def atom(self) -> Predicate:
        kind, word = self.take()
        if kind != "word":
            raise FilterError(f"Unexpected {word!r} in the filter expression")
        lower = word.lower()
        if lower in ("service", "id"):
            name, type_ = self._service_args(lower)
            return lambda facts: any(
                (name is None or node.name == name) and (type_ is None or node.type == type_)
                for node in facts.nodes
            )
        if lower in ("ok", "error", "fault", "throttle", "partial") and not self._comparison():
            return _flag(lower)
        getter = _getter(word)
        op, value = self._compare()
        return lambda facts: _matches(getter(facts), op, value)

    def _comparison(self) -> bool:
        token = self.peek()
        return token is not None and (
            token[0] == "op" or (token[0] == "word" and token[1].upper() in _TEXT_OPS)
        )

    def _compare(self) -> tuple[str, Any]:
        kind, op = self.take()
        if kind == "word" and op.upper() in _TEXT_OPS:
            op = op.upper()
        elif kind != "op":
            raise FilterError(f"Expected a comparison, found {op!r}")
        kind, raw = self.take()
        value: Any
        if kind == "str":
            value = raw[1:-1].replace('\\"', '"')
        elif kind == "num":
            value = float(raw)
        elif kind == "word" and raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        else:
            raise FilterError(f"Expected a value, found {raw!r}")
        return op, value

    def _service_args(self, function: str) -> tuple[str | None, str | None]:
        self.expect("(")
        name = type_ = None
        if self.peek() == ("punct", ")"):
            self.pos += 1
            return None, None
        kind, value = self.take()
        if kind == "str":
            name = value[1:-1]
        elif kind == "word" and value.lower() == "id" and function == "service":
            name, type_ = self._service_args("id")
        elif kind == "word":
            # id(name: "n", type: "T")
            self.pos -= 1
            while True:
                _, key = self.take()
                self.expect(":")
                vkind, raw = self.take()
                if vkind != "str":
                    raise FilterError(f"Expected a string for {key}")
                if key == "name":
                    name = raw[1:-1]
                elif key == "type":
                    type_ = raw[1:-1]
                if self.peek() != ("punct", ","):
                    break
                self.pos += 1
        else:
            raise FilterError(f"Unexpected {value!r} in {function}()")
        self.expect(")")
        return name, type_


def _and(a: Predicate, b: Predicate) -> Predicate:
    return lambda facts: a(facts) and b(facts)


def _or(a: Predicate, b: Predicate) -> Predicate:
    return lambda facts: a(facts) or b(facts)


def _flag(name: str) -> Predicate:
    if name == "ok":
        return lambda f: not (f.error or f.fault or f.throttle)
    return lambda f: bool(getattr(f, name))


def _getter(word: str) -> Callable[[Facts], Any]:
    lower = word.lower()
    fixed: dict[str, Callable[[Facts], Any]] = {
        "responsetime": lambda f: f.response_time,
        "duration": lambda f: f.duration,
        "http.status": lambda f: f.http.get("HttpStatus"),
        "http.url": lambda f: f.http.get("HttpURL"),
        "http.method": lambda f: f.http.get("HttpMethod"),
        "http.useragent": lambda f: f.http.get("UserAgent"),
        "http.clientip": lambda f: f.http.get("ClientIp"),
        "user": lambda f: f.user,
        "ok": lambda f: not (f.error or f.fault or f.throttle),
        "error": lambda f: f.error,
        "fault": lambda f: f.fault,
        "throttle": lambda f: f.throttle,
        "partial": lambda f: f.partial,
    }
    if lower in fixed:
        return fixed[lower]
    if lower.startswith(("annotation.", "annotation[")):
        key = word.split(".", 1)[1] if "." in word else word[len("annotation[") : -1]
        return lambda f: f.annotations.get(key, [])
    raise FilterError(f"serverlite does not support the filter keyword {word!r}")


def _matches(actual: Any, op: str, value: Any) -> bool:
    if isinstance(actual, list):  # an annotation: any of its values
        return any(_matches(item, op, value) for item in actual)
    if actual is None:
        return op == "!="
    if op in _TEXT_OPS:
        text, wanted = str(actual), str(value)
        if op == "CONTAINS":
            return wanted in text
        return text.startswith(wanted) if op == "BEGINSWITH" else text.endswith(wanted)
    if isinstance(value, float) and not isinstance(actual, bool):
        try:
            actual = float(actual)
        except (TypeError, ValueError):
            return False
    try:
        if op == "=":
            return bool(actual == value)
        if op == "!=":
            return bool(actual != value)
        if op == "<":
            return bool(actual < value)
        if op == "<=":
            return bool(actual <= value)
        if op == ">":
            return bool(actual > value)
        return bool(actual >= value)
    except TypeError:
        return False
