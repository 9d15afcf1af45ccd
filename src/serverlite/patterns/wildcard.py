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
alive at once (each live state weighted by how many values it may still become);
AWS does not publish the limit. serverlite refuses what AWS was observed to refuse: six
wildcards in one value (``"*:*:*:*:*:event-bus/*"``), and any field whose values keep
more than ``MAX_COMPLEXITY`` partial matches alive at once (the per-rule limit Event
Ruler's documentation gives as its example).
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
    starred = any(len(segments) > 1 for segments in patterns)  # none: deterministic
    if starred and _most_alive(_Trie(patterns)) > MAX_COMPLEXITY:
        raise WildcardError(TOO_COMPLEX)


_STAR = ""  # the token of a wildcard; a literal token is one character


class _Trie:
    """A field's wildcard values as one automaton, as AWS's engine builds it: a state per
    distinct prefix of tokens, so values sharing a prefix share its states. A star state
    loops on any character, and is entered without consuming one."""

    def __init__(self, patterns: list[tuple[str, ...]]) -> None:
        self.children: list[dict[str, int]] = [{}]
        self.stars: set[int] = set()
        ends: list[int] = []
        for segments in patterns:
            node = 0
            for index, segment in enumerate(segments):
                if index:
                    node = self._child(node, _STAR)
                for char in segment:
                    node = self._child(node, char)
            ends.append(node)
        # reach[n]: how many of the values a partial match in state n may still become
        self.reach = [0] * len(self.children)
        parents = {
            child: node for node, kids in enumerate(self.children) for child in kids.values()
        }
        for end in set(ends):
            up: int | None = end
            while up is not None:
                self.reach[up] += 1
                up = parents.get(up)

    def _child(self, node: int, token: str) -> int:
        found = self.children[node].get(token)
        if found is None:
            found = len(self.children)
            self.children[node][token] = found
            self.children.append({})
            if token == _STAR:
                self.stars.add(found)
        return found

    def closure(self, nodes: set[int]) -> frozenset[int]:
        stack = list(nodes)
        while stack:
            star = self.children[stack.pop()].get(_STAR)
            if star is not None and star not in nodes:
                nodes.add(star)
                stack.append(star)
        return frozenset(nodes)

    def step(self, active: frozenset[int], char: str) -> frozenset[int]:
        """The states after one character (``_STAR``: a character no literal names)."""
        after: set[int] = set()
        for node in active:
            if node in self.stars:
                after.add(node)  # the star takes the character
            child = self.children[node].get(char) if char != _STAR else None
            if child is not None:
                after.add(child)
        return self.closure(after)

    def alive(self, active: frozenset[int]) -> int:
        """Event Ruler's measure: over the live states (a state and the star it leads to
        are one; the start is not counted), how many values each may still become."""
        return sum(
            self.reach[node]
            for node in active
            if node and self.children[node].get(_STAR) not in active
        )


def _most_alive(trie: _Trie) -> int:
    """The most partial matches any input keeps alive at once (a bounded subset search)."""
    start = trie.closure({0})
    seen = {start}
    queue = [start]
    most = 0
    while queue and len(seen) < _MAX_STATES_VISITED:
        active = queue.pop()
        most = max(most, trie.alive(active))
        if most > MAX_COMPLEXITY:
            break
        # Only characters some live state waits for lead anywhere new; _STAR stands for
        # every other character (no literal token is empty).
        chars = {token for node in active for token in trie.children[node]}
        for char in chars | {_STAR}:
            after = trie.step(active, char)
            if after not in seen:
                seen.add(after)
                queue.append(after)
    return most
