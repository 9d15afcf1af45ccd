import re
import uuid

from serverlite import ids
from serverlite.gateway.http import HttpRequest

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_request_ids_are_version_4_uuids_and_differ():
    seen = {ids.request_id() for _ in range(2000)}
    assert len(seen) == 2000
    for value in seen:
        assert _UUID.fullmatch(value), value  # lower case, 8-4-4-4-12
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_request_ids_random_digits_take_every_value():
    # Every digit but the version's is drawn (the variant's takes 8, 9, a, b): nothing
    # fixed or lost when the bits are masked and split into groups.
    seen: list[set[str]] = [set() for _ in range(36)]
    for _ in range(2000):
        for position, char in enumerate(ids.request_id()):
            seen[position].add(char)
    for position, chars in enumerate(seen):
        if position in (8, 13, 18, 23):
            assert chars == {"-"}
        elif position == 14:
            assert chars == {"4"}
        elif position == 19:
            assert chars == set("89ab")
        else:
            assert chars == set("0123456789abcdef"), position


def test_hex_tokens_have_the_length_asked():
    for chars in (1, 7, 16, 32):
        tokens = {ids.hex_token(chars) for _ in range(500)}
        assert all(re.fullmatch(f"[0-9a-f]{{{chars}}}", token) for token in tokens)
        assert set("".join(tokens)) == set("0123456789abcdef")
    assert len({ids.hex_token(16) for _ in range(500)}) == 500


def test_random_bytes():
    assert len(ids.random_bytes(11)) == 11
    assert len({ids.random_bytes(11) for _ in range(500)}) == 500


def test_trace_roots_are_xray_trace_ids():
    # 1e9 is 0x3b9aca00: the epoch second in 8 hex digits, then 96 random bits.
    root = ids.trace_root(1e9 + 0.9)
    assert re.fullmatch(r"1-3b9aca00-[0-9a-f]{24}", root), root
    assert re.fullmatch(r"1-00000001-[0-9a-f]{24}", ids.trace_root(1))
    assert re.fullmatch(r"1-[0-9a-f]{8}-[0-9a-f]{24}", ids.trace_root())
    assert len({ids.trace_root(1e9) for _ in range(500)}) == 500
    assert set("".join(ids.trace_root(1e9)[11:] for _ in range(200))) == set("0123456789abcdef")


def test_trace_ids_look_like_lambdas():
    header = ids.trace_id(1e9)
    assert re.fullmatch(r"Root=1-3b9aca00-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", header)
    root = "1-5759e988-bd862e3fe1be46a994272793"
    continued = ids.trace_id(root=root)
    assert re.fullmatch(rf"Root={root};Parent=[0-9a-f]{{16}};Sampled=0", continued)
    parents = {ids.trace_id(root=root)[-26:-10] for _ in range(500)}
    assert len(parents) == 500 and set("".join(parents)) == set("0123456789abcdef")


def test_request_headers_are_found_case_insensitively_last_value_wins():
    request = HttpRequest("GET", "/", headers=[("Accept", "a"), ("X-Thing", "1"), ("x-thing", "2")])
    assert request.header("x-THING") == "2"
    assert request.header("accept") == "a"
    assert request.header("missing") is None
