import json

import pytest

from serverlite import fastjson


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [True, None, 1.5, "é", "\u2028"]},
        {"big": 123456789012345678901234567890},  # beyond 64 bits: orjson refuses
        {1: "non-string key"},  # the stdlib writes it as "1"
        {"lone": "\ud800"},  # a lone surrogate: orjson refuses, the stdlib escapes it
    ],
)
def test_dumps_means_what_the_stdlib_means(value):
    assert json.loads(fastjson.dumps(value)) == json.loads(json.dumps(value))


@pytest.mark.parametrize(
    "data",
    [b"{}", b"[1,2]", b'"x"', b"NaN", b'{"a": Infinity}', b'["\\ud800"]', b"1e400", b" 3 "],
)
def test_is_json_accepts_what_the_stdlib_accepts(data):
    json.loads(data)
    assert fastjson.is_json(data)


@pytest.mark.parametrize("data", [b"{", b"[1,]", b"\xff", b"{'a': 1}", b"", b"01"])
def test_is_json_refuses_what_the_stdlib_refuses(data):
    with pytest.raises((ValueError, UnicodeDecodeError)):
        json.loads(data)
    assert not fastjson.is_json(data)
