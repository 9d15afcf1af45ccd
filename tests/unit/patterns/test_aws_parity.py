"""Cases where AWS was observed to answer otherwise than its user guide, or than
serverlite used to: each states AWS's answer and where it was seen.

"Recorded" means an answer of EventBridge's TestEventPattern recorded against AWS
(the AWS-validated snapshots of an open-source emulator's pattern suite,
tests/aws/services/events/test_events_patterns.snapshot.json in localstack).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from serverlite.patterns import PatternError, compile_pattern, parse_event

ENVELOPE = {
    "id": "1",
    "source": "test-source",
    "detail-type": "test-detail-type",
    "account": "123456789012",
    "region": "us-east-2",
    "time": "2022-07-13T13:48:01Z",
}


@pytest.mark.parametrize(
    ("pattern", "detail", "expected"),
    [
        # recorded dot_joining_pattern / dot_joining_event (and the user guide's
        # "Considerations when creating event patterns"): one field, two spellings
        ({"detail": {"state.status": ["running"]}}, {"state": {"status": "running"}}, True),
        ({"detail": {"state": {"status": ["running"]}}}, {"state.status": "running"}, True),
        ({"detail": {"state.status": ["running"]}}, {"state.status": "running"}, True),
        # recorded *_NEG: a dotted key is the path, not a name that can repeat under itself
        (
            {"detail": {"state.status": {"status": ["running"]}}},
            {"state": {"status": "running"}},
            False,
        ),
        (
            {"detail": {"state": {"status": ["running"]}}},
            {"state.status": {"status": "running"}},
            False,
        ),
        # deeper and mixed spellings, both sides
        ({"detail": {"a.b": {"c": ["x"]}}}, {"a": {"b.c": "x"}}, True),
        # a dotted key merging into an object that is already there
        ({"detail": {"a": {"b": ["1"], "c": ["2"]}}}, {"a": {"b": "1"}, "a.c": "2"}, True),
    ],
)
def test_dotted_keys_and_nesting_are_the_same_field(pattern, detail, expected):
    assert compile_pattern(pattern).matches({**ENVELOPE, "detail": detail}) is expected


@pytest.mark.parametrize(
    ("pattern", "event_text", "expected"),
    [
        # recorded number_comparison_float: 300.0 in the event matches 300 in the pattern,
        # though the user guide says "300, 300.0, and 3.0e2 are not considered equal"
        ('{"number": [300]}', '{"number": 300.0}', True),
        ('{"number": [300]}', '{"number": 3.0e2}', True),
        ('{"number": [300.0]}', '{"number": 300}', True),
        ('{"number": [300]}', '{"number": 300.1}', False),
        ('{"number": [300]}', '{"number": "300"}', False),  # a string is not a number
        # numbers AWS cannot compare as values still match by their text
        ('{"number": [1e400]}', '{"number": 1e400}', True),
        ('{"number": [1e400]}', '{"number": 1e401}', False),
    ],
)
def test_literal_numbers_match_by_value(pattern, event_text, expected):
    assert compile_pattern(pattern).matches(event_text) is expected


def test_numbers_too_large_for_a_fixed_precision_do_not_crash_matching():
    # 1e100 once raised decimal.InvalidOperation inside the matcher (a 500 on PutEvents)
    assert compile_pattern({"n": [{"numeric": [">", 0]}]}).matches('{"n": 1e100}')
    assert compile_pattern({"n": [{"numeric": [">", 1e100]}]}).matches('{"n": 1e101}')
    assert compile_pattern({"n": [{"anything-but": [1e100]}]}).matches('{"n": 1e99}')
    assert not compile_pattern({"n": [{"numeric": [">", 0]}]}).matches('{"n": 1e400}')
    assert not compile_pattern({"n": [{"numeric": [">", 0]}]}).matches('{"n": 1e2000000}')
    assert compile_pattern({"n": [5]}).matches('{"n": 5.' + "0" * 200_000 + "}")


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        # recorded content_anything_prefix_ignorecase_EXC / ..._suffix_ignorecase_EXC
        (
            {"detail": {"FileName": [{"anything-but": {"prefix": {"equals-ignore-case": "f"}}}]}},
            "Value of anything-but must be an array or single string/number value.",
        ),
        (
            {"detail": {"FileName": [{"anything-but": {"suffix": {"equals-ignore-case": "f"}}}]}},
            "Value of anything-but must be an array or single string/number value.",
        ),
        # recorded content_ip_address_bad_ip_EXC / content_ip_address_v6_bad_ip_EXC
        ({"detail": {"ip": [{"cidr": "xx.11.xx/8"}]}}, "Nonstandard IP address: xx.11.xx"),
        (
            {"detail": {"ip": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}},
            "Nonstandard IP address: xxxx:db8:1234:1a00::",
        ),
        # an address-shaped literal that does not parse is "Invalid" (Event Ruler's CIDR)
        ({"detail": {"ip": [{"cidr": "999.0.0.0/8"}]}}, "Invalid IP address: 999.0.0.0"),
        # recorded content_wildcard_repeating_star_EXC: the second star's position
        (
            {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]},
            "Consecutive wildcard characters at pos 26",
        ),
        # recorded content_wildcard_complex_EXC
        (
            {"EventBusArn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]},
            "Rule is too complex - try using fewer wildcard characters or fewer repeating "
            "character sequences after a wildcard character",
        ),
    ],
)
def test_invalid_pattern_reasons_are_aws_wording(pattern, reason):
    with pytest.raises(PatternError) as raised:
        compile_pattern(pattern)
    assert raised.value.reason == reason


def test_ip_shaped_checks_are_linear_on_hostile_values():
    # The IPv6 shape test was a regex with two adjacent ambiguous repeats: quadratic, so
    # a 256 KB value of colons took minutes. Now a value past an IP literal's length is
    # refused before any regex sees it, and the regex left has one way to match.
    pattern = compile_pattern({"ip": [{"cidr": "10.0.0.0/8"}], "x": ["::1"]})
    hostile = ":" * 300_000 + "x"
    assert not pattern.matches({"ip": hostile, "x": hostile})
    assert pattern.matches({"ip": "10.1.2.3", "x": "::1"})  # the twin: it does match IPs


@pytest.mark.parametrize("depth", [300, 700, 100_000])
def test_deep_events_never_exhaust_the_stack(depth):
    # Matching walks an event with its own stack: 500 levels once raised RecursionError
    # (a 500 on PutEvents); past what the JSON reader can read, the text is unreadable.
    pattern = compile_pattern({"a": [1], "b": {"c.d": [{"exists": False}]}})
    text = '{"a": 1, "b": ' + '{"c.x": ' * depth + "1" + "}" * depth + "}"
    try:
        event = parse_event(text)
    except ValueError:
        assert depth > 300  # shallower events are always read
        return
    assert pattern.matches(event)
    assert pattern.matches({"a": [[[[[[1]]]]]], "b": event["b"]})


def test_patterns_nest_at_most_100_levels():
    deep = {"a": [1]}
    for _ in range(99):
        deep = {"x": deep}
    compile_pattern(deep)
    with pytest.raises(PatternError, match="nests more than 100 levels"):
        compile_pattern({"x": deep})
    with pytest.raises(PatternError, match="not valid JSON"):
        compile_pattern('{"x": ' * 100_000 + "[1]" + "}" * 100_000)


def test_an_event_is_expanded_once_for_many_rules(monkeypatch):
    # Nesting dotted keys walks the whole event; a router expands it once and every
    # rule matches the result as it is (100 rules on a 230 KB event took 1.9 s otherwise).
    from serverlite.patterns import documents, expand_dotted

    walks = []
    real = documents._has_dotted_key
    monkeypatch.setattr(documents, "_has_dotted_key", lambda v: walks.append(1) or real(v))
    event = expand_dotted(parse_event('{"source": "s", "detail": {"state.status": "on"}}'))
    rules = [compile_pattern({"detail": {"state": {"status": [f"x{i}"]}}}) for i in range(50)]
    assert not any(rule.matches(event) for rule in rules)
    assert compile_pattern({"detail": {"state": {"status": ["on"]}}}).matches(event)
    assert len(walks) == 1


def _nested(leaves: dict) -> dict:
    doc: dict = {}
    for path, value in leaves.items():
        target = doc
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
    return doc


def _no_prefixes(leaves: dict) -> bool:
    paths = list(leaves)
    return not any(a != b and b[: len(a)] == a for a in paths for b in paths)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.lists(st.sampled_from("abc"), min_size=1, max_size=3).map(tuple),
        st.integers(0, 3),
        min_size=1,
        max_size=6,
    ).filter(_no_prefixes),
    st.data(),
)
def test_dotted_and_nested_spellings_match_alike(leaves, data):
    # however a document's fields are spelled (nested, dotted, or half of each), and
    # however the pattern spells its path, the answers agree
    nested = _nested(leaves)
    dotted = {".".join(path): value for path, value in leaves.items()}
    mixed = _nested(
        {
            (path[0], ".".join(path[1:])) if len(path) > 1 else path: value
            for path, value in leaves.items()
        }
    )
    path = data.draw(st.sampled_from(sorted(leaves)))
    for value, expected in ((leaves[path], True), (9, False)):
        for pattern in (_nested({path: [value]}), {".".join(path): [value]}):
            compiled = compile_pattern(pattern)
            for event in (nested, dotted, mixed):
                assert compiled.matches(event) is expected, (pattern, event)
