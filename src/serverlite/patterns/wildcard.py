"""The ``wildcard`` operator: parsing, a linear-time matcher, and AWS's complexity limit.

``*`` matches any run of characters (none included); ``\\*`` is a literal star and
``\\\\`` a literal backslash. A wildcard value is kept as its literal *segments*
(the text between stars), and matching never backtracks:

- no star: the value equals the one segment;
- otherwise the value starts with the first segment, ends with the last, and the
  middle segments occur in order, each found at its leftmost place after the
  previous one. Leftmost is always right for ``*`` (a later placement leaves less
  room for what follows, never more), so each character of the value is passed
  over once: every search starts where the previous match ended and none goes back.

Event patterns are user input on a shared event loop: the regex this replaces ran
for over 80 s on ``"*a*a*a*a*a*a*a*a*a*a*b"`` against 4 KB of ``a``.

EventBridge also refuses wildcard patterns whose matching would be costly ("Rule is
too complex - ..."). Its engine (Event Ruler) measures complexity as the largest
number of partial matches of the rule's wildcard values that one input can keep
alive at once; AWS does not publish the limit. serverlite refuses what AWS was
observed to refuse: six wildcards in one value (``"*:*:*:*:*:event-bus/*"``), and any
value set with more than ``MAX_COMPLEXITY`` partial matches alive at once (the
per-rule limit Event Ruler's documentation gives as its example).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating "
    "character sequences after a wildcard character"
)
MAX_WILDCARDS = 5  # AWS refused "*:*:*:*:*:event-bus/*" (six) and accepted five or fewer
MAX_COMPLEXITY = 10
_MAX_STATES_VISITED = 2000  # the complexity search stops here, as Event Ruler's caps it

Find = Callable[[str, str, int, int], int]


class WildcardError(ValueError):
    """A wildcard value AWS refuses; the message is AWS's reason."""


def parse(pattern: str) -> tuple[str, ...]:
    """The literal segments between the stars (``n`` stars give ``n + 1`` segments).

    AWS refuses two consecutive stars, naming the UTF-8 byte position of the second
    (observed: ``"arn:aws:events:us-east-1:**:..."`` gives "at pos 26"), and any other
    backslash escape, naming the position of the backslash.
    """
    segments: list[str] = []
    current: list[str] = []
    pos = 0  # UTF-8 byte offset of the character being read
    chars = iter(pattern)
    previous_star = False
    for char in chars:
        if char == "*":
            if previous_star:
                raise WildcardError(f"Consecutive wildcard characters at pos {pos}")
            segments.append("".join(current))
            current = []
            previous_star = True
            pos += 1
            continue
        previous_star = False
        if char == "\\":
            following = next(chars, None)
            if following is None or following not in "*\\":
                raise WildcardError(f"Invalid escape character at pos {pos}")
            current.append(following)
            pos += 2
            continue
        current.append(char)
        pos += len(char.encode())
    segments.append("".join(current))
    return tuple(segments)


def _find(value: str, segment: str, start: int, end: int) -> int:
    return value.find(segment, start, end)


def match(segments: Sequence[str], value: str, find: Find = _find) -> bool:
    """Does ``value`` match the wildcard? Linear in ``len(value)``: see the module doc.

    ``find`` is ``str.find``'s contract, injectable so a test can count the work done.
    """
    first, last = segments[0], segments[-1]
    if len(segments) == 1:
        return value == first
    end = len(value) - len(last)
    if end < len(first) or not value.startswith(first) or not value.endswith(last):
        return False
    pos = len(first)
    for segment in segments[1:-1]:
        found = find(value, segment, pos, end)
        if found < 0:
            return False
        pos = found + len(segment)
    return True


def check_complexity(values: Iterable[tuple[str, ...]]) -> None:
    """Raise WildcardError(TOO_COMPLEX) when one field's wildcard values are too costly."""
    patterns = list(values)
    if any(len(segments) - 1 > MAX_WILDCARDS for segments in patterns):
        raise WildcardError(TOO_COMPLEX)
    if _most_alive(patterns) > MAX_COMPLEXITY:
        raise WildcardError(TOO_COMPLEX)


# A value's automaton: state i is "the first i tokens matched"; a token is a character
# or None for a star (which loops on any character and may also match nothing).
_Tokens = tuple[str | None, ...]
_State = tuple[frozenset[int], ...]


def _tokens(segments: tuple[str, ...]) -> _Tokens:
    tokens: list[str | None] = list(segments[0])
    for segment in segments[1:]:
        tokens.append(None)
        tokens += segment
    return tuple(tokens)


def _closure(tokens: _Tokens, states: set[int]) -> frozenset[int]:
    stack = list(states)
    while stack:
        i = stack.pop()
        if i < len(tokens) and tokens[i] is None and i + 1 not in states:
            states.add(i + 1)
            stack.append(i + 1)
    return frozenset(states)


def _step(tokens: _Tokens, states: frozenset[int], char: str) -> frozenset[int]:
    after: set[int] = set()
    for i in states:
        if i < len(tokens):
            token = tokens[i]
            if token is None:
                after.add(i)
            elif token == char:
                after.add(i + 1)
    return _closure(tokens, after)


def _alive(tokens: _Tokens, states: frozenset[int]) -> int:
    """Partial matches alive: a star and the position after it are one (as in Event Ruler)."""
    return sum(1 for i in states if i == len(tokens) or tokens[i] is not None)


def _most_alive(patterns: list[tuple[str, ...]]) -> int:
    """The most partial matches any input keeps alive at once (a bounded subset search)."""
    automata = [_tokens(segments) for segments in patterns]
    start: _State = tuple(_closure(tokens, {0}) for tokens in automata)
    seen = {start}
    queue = [start]
    most = 0
    while queue and len(seen) < _MAX_STATES_VISITED:
        state = queue.pop()
        alive = sum(_alive(tokens, s) for tokens, s in zip(automata, state, strict=True))
        most = max(most, alive)
        if most > MAX_COMPLEXITY:
            break
        # Only the characters some live state waits for lead anywhere new; "" stands for
        # every other character (it matches no literal token).
        chars = {t[i] for t, s in zip(automata, state, strict=True) for i in s if i < len(t)}
        for char in {c for c in chars if c is not None} | {""}:
            after = tuple(_step(t, s, char) for t, s in zip(automata, state, strict=True))
            if after not in seen:
                seen.add(after)
                queue.append(after)
    return most
