"""IAM's wildcards: ``*`` (any run of characters) and ``?`` (any one character).

Actions match case-insensitively (``DynamoDB:getitem`` is ``dynamodb:GetItem``); ARNs
match case-sensitively, one colon-separated part at a time, so ``*`` in the region
part never reaches into the resource part (IAM's ``ArnLike``: "each of the six
colon-delimited components of the ARN is checked separately"). Compiled patterns are
cached: a principal's policies are matched against the same few patterns all day.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[str], bool]


@lru_cache(maxsize=4096)
def glob(pattern: str, ignore_case: bool = False) -> Matcher:
    """A matcher of the whole string."""
    if "*" not in pattern and "?" not in pattern:
        if ignore_case:
            folded = pattern.casefold()
            return lambda value: value.casefold() == folded
        return lambda value: value == pattern
    if pattern == "*":
        return lambda value: True
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    compiled = re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))
    return lambda value: compiled.fullmatch(value) is not None


def action(pattern: str) -> Matcher:
    return glob(pattern, ignore_case=True)


@lru_cache(maxsize=4096)
def arn(pattern: str) -> Matcher:
    """ArnLike: the six parts (the last one may hold colons) matched each on its own."""
    if pattern == "*":
        return lambda value: True
    if not pattern.startswith("arn:"):
        return glob(pattern)
    parts = [glob(part) for part in pattern.split(":", 5)]
    if len(parts) != 6:
        return glob(pattern)

    def match(value: str) -> bool:
        given = value.split(":", 5)
        return len(given) == 6 and all(m(v) for m, v in zip(parts, given, strict=True))

    return match
