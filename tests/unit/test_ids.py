import re
import uuid

from serverlite import ids
from serverlite.gateway.http import HttpRequest


def test_request_ids_are_version_4_uuids_and_differ():
    seen = {ids.request_id() for _ in range(2000)}
    assert len(seen) == 2000
    for value in list(seen)[:200]:
        parsed = uuid.UUID(value)
        assert str(parsed) == value
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_trace_ids_look_like_lambdas():
    assert re.fullmatch(
        r"Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0", ids.trace_id(1e9)
    )


def test_request_headers_are_found_case_insensitively_last_value_wins():
    request = HttpRequest("GET", "/", headers=[("Accept", "a"), ("X-Thing", "1"), ("x-thing", "2")])
    assert request.header("x-THING") == "2"
    assert request.header("accept") == "a"
    assert request.header("missing") is None
