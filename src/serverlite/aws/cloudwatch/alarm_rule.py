"""A composite alarm's AlarmRule: ``ALARM(name)``, ``OK(name)``,
``INSUFFICIENT_DATA(name)``, ``TRUE``, ``FALSE``, joined by AND, OR, NOT and
parentheses (CloudWatch User Guide, "Creating a composite alarm"). A name may be
quoted with double quotes and may be an alarm ARN."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
_TOKEN = re.compile(r'\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()"]+)')


class RuleError(ValueError):
    pass


@dataclass(frozen=True)
class Rule:
    kind: str  # "state", "const", "not", "and", "or"
    state: str = ""
    alarm: str = ""
    value: bool = False
    parts: tuple[Rule, ...] = ()

    def alarms(self) -> set[str]:
        if self.kind == "state":
            return {self.alarm}
        return set().union(*(p.alarms() for p in self.parts)) if self.parts else set()

    def holds(self, state_of: Callable[[str], str | None]) -> bool:
        if self.kind == "state":
            return state_of(self.alarm) == self.state
        if self.kind == "const":
            return self.value
        if self.kind == "not":
            return not self.parts[0].holds(state_of)
        results = (p.holds(state_of) for p in self.parts)
        return all(results) if self.kind == "and" else any(results)


def _tokens(text: str) -> list[str]:
    tokens, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        match = _TOKEN.match(text, at)
        if match is None:
            raise RuleError(f"Syntax error at position {at}")
        tokens.append(match.group(1))
        at = match.end()
    return tokens


def parse(text: str) -> Rule:
    tokens = _tokens(text)
    at = 0

    def peek() -> str:
        return tokens[at] if at < len(tokens) else ""

    def take(expected: str | None = None) -> str:
        nonlocal at
        token = peek()
        if not token or (expected is not None and token.upper() != expected):
            raise RuleError(f"Expected {expected or 'an expression'} in AlarmRule")
        at += 1
        return token

    def either() -> Rule:
        parts = [both()]
        while peek().upper() == "OR":
            take()
            parts.append(both())
        return parts[0] if len(parts) == 1 else Rule("or", parts=tuple(parts))

    def both() -> Rule:
        parts = [unary()]
        while peek().upper() == "AND":
            take()
            parts.append(unary())
        return parts[0] if len(parts) == 1 else Rule("and", parts=tuple(parts))

    def unary() -> Rule:
        token = take()
        upper = token.upper()
        if upper == "NOT":
            return Rule("not", parts=(unary(),))
        if token == "(":
            inner = either()
            take(")")
            return inner
        if upper in ("TRUE", "FALSE"):
            return Rule("const", value=upper == "TRUE")
        if upper in STATES:
            take("(")
            name = take()
            if name.startswith('"'):
                name = name[1:-1].replace('\\"', '"')
            take(")")
            return Rule("state", state=upper, alarm=name.rsplit(":alarm:", 1)[-1])
        raise RuleError(f"Unexpected {token!r} in AlarmRule")

    rule = either()
    if at != len(tokens):
        raise RuleError(f"Unexpected {tokens[at]!r} in AlarmRule")
    return rule
