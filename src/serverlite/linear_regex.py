"""Regular expressions that come from users, run in time linear in the text.

A pattern from a request or a template (SSM ``AllowedPattern``, CloudFormation
``AllowedPattern``, an authorizer's identity ``ValidationExpression``, an IAM policy's
resource glob) is matched against text a client sends, on the event loop every port
shares. Python's ``re`` backtracks: ``(a+)+`` against 27 ``a`` and a ``!`` froze every
port for 4.8 s, doubling with each character. RE2 (``google-re2``) compiles the same
syntax to an automaton and never backtracks, so a match costs time linear in the text.

What RE2 does not have, because it needs backtracking: backreferences (``\\1``),
lookaround (``(?=``, ``(?!``, ``(?<=``, ``(?<!``), possessive quantifiers (``a++``) and
atomic groups. AWS evaluates these with Java's engine; serverlite refuses them with
``UnsupportedRegex``, naming the reason, instead of running them where they can stall.
Java's own classes (``\\p{Alpha}``, ``\\p{javaLowerCase}``) are not in RE2 either; the
POSIX forms (``[[:alpha:]]``) and Unicode classes (``\\p{L}``) are.
"""

from __future__ import annotations

import re
from typing import Protocol, cast

import re2  # type: ignore[import-untyped]

from serverlite.errors import ServerliteError

__all__ = ["LinearPattern", "RegexError", "UnsupportedRegex", "compile_linear", "glob"]


class RegexError(ServerliteError):
    """The pattern is not a valid regular expression."""


class UnsupportedRegex(RegexError):
    """Valid for a backtracking engine (Java's, Python's) but not for a linear one."""


class LinearPattern(Protocol):
    """The part of a compiled RE2 pattern serverlite uses (``re.Pattern``'s names)."""

    def fullmatch(self, text: str) -> object | None: ...

    def search(self, text: str) -> object | None: ...


def _options(*, dot_all: bool) -> object:
    options = re2.Options()
    options.log_errors = False  # a refused pattern is the caller's error, not a log line
    options.dot_nl = dot_all
    return options


def compile_linear(pattern: str, *, dot_all: bool = False) -> LinearPattern:
    """Compile ``pattern`` for linear-time matching; RegexError / UnsupportedRegex if not."""
    try:
        return cast(LinearPattern, re2.compile(pattern, _options(dot_all=dot_all)))
    except re2.error as linear_error:
        reason = _decode(linear_error)
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise RegexError(str(exc)) from None
    raise UnsupportedRegex(
        f"{reason} (serverlite matches user patterns with a linear-time engine, RE2, "
        "which has no backreferences, lookaround or possessive quantifiers)"
    )


def glob(pattern: str) -> LinearPattern:
    """``*`` (any run, newlines included) and ``?`` (any one character); the rest literal."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return compile_linear("".join(parts), dot_all=True)


def _decode(error: Exception) -> str:
    reason = error.args[0] if error.args else error
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
