"""User regexes run on RE2: same answers as Python's re where both can run, linear work
where re would backtrack, and a clear refusal for what only a backtracking engine has."""

import fnmatch
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serverlite.gateway.authorizers.policy import resource_matches
from serverlite.linear_regex import RegexError, UnsupportedRegex, compile_linear, glob


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        (r"\d+", "123", True),
        (r"\d+", "12a", False),
        (r"^[a-z0-9-]+(,[a-z0-9-]+)*$", "a-1,b-2", True),  # identity's AllowedPattern
        (r"^(none|error|delay:[0-9]{1,6})$", "delay:1234567", False),
        (r"(?i)abc", "ABC", True),
        (r"a.b", "a\nb", False),  # '.' leaves newlines out unless asked, as in re
    ],
)
def test_answers_agree_with_python_re(pattern, text, expected):
    assert (compile_linear(pattern).fullmatch(text) is not None) is expected
    assert (re.fullmatch(pattern, text) is not None) is expected


def test_unicode_classes_java_has_work_too():
    assert compile_linear(r"\p{L}+").fullmatch("éa") is not None  # Java and RE2, not re


@pytest.mark.parametrize("pattern", ["(", "a{2,1}", "[z-a]"])
def test_invalid_patterns(pattern):
    with pytest.raises(RegexError) as raised:
        compile_linear(pattern)
    assert not isinstance(raised.value, UnsupportedRegex)


@pytest.mark.parametrize("pattern", [r"(a)\1", "a(?=b)", "a(?!b)", "(?<=a)b", "a++", "(?>a)"])
def test_backtracking_only_syntax_is_refused_as_unsupported(pattern):
    with pytest.raises(UnsupportedRegex, match="linear-time engine"):
        compile_linear(pattern)


@pytest.mark.parametrize("size", [30, 100_000])
def test_nested_quantifiers_do_not_backtrack(size):
    # 2^size steps for a backtracking engine; the test finishing is the bound
    for pattern in ["(a+)+", "(a|a)*b", "(a*)*$", "(x+x+)+y"]:
        assert compile_linear(pattern).fullmatch("a" * size + "!") is None


def test_policy_resource_globs_with_many_stars_stay_linear():
    # an authorizer's policy against a long method ARN: a backtracking ".*a.*a..." regex
    # would take size^10 steps here
    star = "*a" * 10 + "*b"
    arn = "arn:aws:execute-api:us-east-1:123456789012:" + "a" * 50_000
    assert not resource_matches(f"arn:aws:execute-api:us-east-1:123456789012:{star}", arn)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab*?.", max_size=8), st.text(alphabet="ab.\n", max_size=10))
def test_glob_agrees_with_fnmatch(pattern, text):
    expected = re.fullmatch(fnmatch.translate(pattern), text, re.DOTALL) is not None
    assert (glob(pattern).fullmatch(text) is not None) is expected
