"""The tokenizer shared by every expression kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = "name"  # a bare word: attribute name, keyword or function name
PLACEHOLDER_NAME = "#name"
PLACEHOLDER_VALUE = ":value"
INTEGER = "integer"
SYMBOL = "symbol"
EOF = "eof"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<integer>[0-9]+(?![A-Za-z_]))
  | (?P<name>[A-Za-z0-9_]+)
  | (?P<pname>\#[A-Za-z0-9_]+)
  | (?P<pvalue>:[A-Za-z0-9_]+)
  | (?P<symbol><>|<=|>=|[=<>()\[\],.+\-])
    """,
    re.VERBOSE,
)
_KINDS = {
    "integer": INTEGER,
    "name": NAME,
    "pname": PLACEHOLDER_NAME,
    "pvalue": PLACEHOLDER_VALUE,
    "symbol": SYMBOL,
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int

    def is_keyword(self, word: str) -> bool:
        return self.kind == NAME and self.text.upper() == word

    def is_symbol(self, symbol: str) -> bool:
        return self.kind == SYMBOL and self.text == symbol


class SyntaxProblem(Exception):
    """``Syntax error; token: "<t>", near: "<n>"`` (the caller adds the expression kind)."""

    def __init__(self, token: str, near: str) -> None:
        super().__init__(f'Syntax error; token: "{token}", near: "{near}"')
        self.token = token
        self.near = near


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            # AWS quotes the offending character with what came just before it.
            start = tokens[-1].start if tokens else position
            raise SyntaxProblem(source[position], source[start : position + 1])
        group = match.lastgroup
        assert group is not None
        if group != "space":
            tokens.append(Token(_KINDS[group], match.group(), match.start(), match.end()))
        position = match.end()
    tokens.append(Token(EOF, "<EOF>", len(source), len(source)))
    return tokens


def near(source: str, tokens: list[Token], index: int) -> str:
    """The text AWS shows around a bad token: the one before it, it, and the one after."""
    start = tokens[max(0, index - 1)].start
    end = tokens[min(len(tokens) - 1, index + 1)].end
    return source[start:end]
