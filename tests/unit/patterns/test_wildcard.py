"""The wildcard matcher: AWS's syntax, linear work on any input, and agreement with a
reference glob on small inputs."""

import fnmatch
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serverlite.patterns import PatternError, compile_pattern, wildcard


class CountingFind:
    """str.find that records how much of the value each search may pass over."""

    def __init__(self) -> None:
        self.calls = 0
        self.windows: list[tuple[int, int]] = []

    def __call__(self, value: str, segment: str, start: int, end: int) -> int:
        self.calls += 1
        found = value.find(segment, start, end)
        self.windows.append((start, found + len(segment) if found >= 0 else end))
        return found


@pytest.mark.parametrize("size", [10, 100, 4096, 100_000])
def test_the_catastrophic_pattern_does_linear_work(size):
    # The regex this replaced backtracked for over 80 s on this pair at 4 KB.
    segments = wildcard.parse("*a*a*a*a*a*a*a*a*a*a*b")
    value = "a" * size
    find = CountingFind()
    assert not wildcard.match(segments, value, find)
    # One search per middle segment at most, each starting where the last match ended:
    # the windows passed over never overlap, so no character is read twice.
    assert find.calls <= len(segments) - 2
    assert all(b <= c for (_, b), (c, _) in zip(find.windows, find.windows[1:], strict=False))
    assert sum(end - start for start, end in find.windows) <= size


def test_work_does_not_depend_on_where_the_match_fails():
    segments = wildcard.parse("x*needle*y")
    for value in ("x" + "n" * 5000 + "y", "x" + "needle" * 800 + "y", "x" + "e" * 5000):
        find = CountingFind()
        wildcard.match(segments, value, find)
        assert find.calls <= 1
        assert sum(end - start for start, end in find.windows) <= len(value)


def _reference(pattern: str, value: str) -> bool:
    """fnmatch's regex, with only '*' special (AWS has no '?' or '[...]')."""
    escaped = pattern.replace("[", "[[]").replace("?", "[?]")
    return re.fullmatch(fnmatch.translate(escaped), value, re.DOTALL) is not None


ALPHABET = "ab*"


@settings(max_examples=400, deadline=None)
@given(
    st.text(alphabet=ALPHABET, max_size=8).filter(lambda p: "**" not in p),
    st.text(alphabet="ab", max_size=10),
)
def test_matcher_agrees_with_a_reference_glob(pattern, value):
    assert wildcard.match(wildcard.parse(pattern), value) is _reference(pattern, value)


# AWS's wildcard syntax: a backslash escapes only "*" or "\\"; two unescaped stars in a
# row are refused.
WELL_FORMED = re.compile(r"(?:[^\\*]|\\[*\\]|\*(?!\*))*")


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\\*?[", max_size=8), st.text(alphabet="ab*\\?[", max_size=8))
def test_escapes_agree_with_the_reference(pattern, value):
    if WELL_FORMED.fullmatch(pattern) is None:  # refused: a bad escape, or "**"
        with pytest.raises(wildcard.WildcardError):
            wildcard.parse(pattern)
        return
    segments = wildcard.parse(pattern)
    # the reference sees each segment as literal text joined by stars
    literal = "*".join(re.sub(r"([*?\[])", r"[\1]", s) for s in segments)
    assert wildcard.match(segments, value) is _reference_raw(literal, value)


def _reference_raw(glob: str, value: str) -> bool:
    return re.fullmatch(fnmatch.translate(glob), value, re.DOTALL) is not None


# -- AWS's syntax and limits ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # observed on AWS: the position is the second star's UTF-8 byte offset
        ("arn:aws:events:us-east-1:**:event-bus/*", "Consecutive wildcard characters at pos 26"),
        ("é**", "Consecutive wildcard characters at pos 3"),
        ("a\\b", "Invalid escape character at pos 1"),
    ],
)
def test_parse_refusals(text, reason):
    with pytest.raises(wildcard.WildcardError, match=re.escape(reason)):
        wildcard.parse(text)


def test_escaped_star_then_wildcard_is_not_consecutive():
    assert wildcard.parse("a\\**") == ("a*", "")


TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating "
    "character sequences after a wildcard character"
)


@pytest.mark.parametrize(
    "value",
    [
        "*:*:*:*:*:event-bus/*",  # refused by AWS (recorded TestEventPattern answer)
        "*a*a*a*a*a*a*a*a*a*a*b",
        "a*b*c*d*e*f*g",
    ],
)
def test_too_complex_wildcards_are_refused_as_aws_does(value):
    with pytest.raises(PatternError) as raised:
        compile_pattern({"a": [{"wildcard": value}]})
    assert raised.value.reason == TOO_COMPLEX


@pytest.mark.parametrize(
    "value",
    [
        # accepted by AWS (recorded answers and the user guide's examples)
        "arn:aws:events:us-east-1:*:event-bus/*",
        "/Users/*/dir/dir/dir/dir/dir/doc.txt",
        "/Users/*/doc.txt",
        "*/lib/*",
        "Simple*Service",
        "*.png",
    ],
)
def test_ordinary_wildcards_are_accepted(value):
    compile_pattern({"a": [{"wildcard": value}]})


def test_complexity_counts_every_wildcard_of_a_field_together():
    # each value alone is fine; alternatives on one field add up, as on AWS's engine
    values = [f"*{c}:*{c}:*{c}" for c in "abcd"]
    for value in values:
        compile_pattern({"a": [{"wildcard": value}]})
    with pytest.raises(PatternError, match="too complex"):
        compile_pattern({"a": [{"wildcard": v} for v in values]})
    with pytest.raises(PatternError, match="too complex"):
        compile_pattern({"a": [{"anything-but": {"wildcard": values}}]})


def test_complexity_search_is_bounded_on_long_values():
    # a 4 KB value (the pattern size limit) is judged without exploring every state
    compile_pattern({"a": [{"wildcard": "*" + "".join(chr(0x100 + i) for i in range(4000))}]})


def test_values_sharing_a_prefix_after_a_wildcard_count_once_each():
    # Event Ruler weighs each live state by the values it may still become: after "*x",
    # every one of these values is still possible, so many of them make one field costly.
    few = [{"wildcard": f"*x{i}"} for i in range(3)]
    compile_pattern({"a": few})
    many = [{"wildcard": f"*x{i}"} for i in range(800)]
    with pytest.raises(PatternError, match="too complex"):
        compile_pattern({"a": many})


def test_values_without_a_star_are_deterministic():
    compile_pattern({"a": [{"wildcard": f"x{i}"} for i in range(800)]})
