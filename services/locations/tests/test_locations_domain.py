from datetime import UTC, datetime

import pytest
from locations.domain import (
    Caller,
    InvalidLocation,
    caller_from_claims,
    can_read,
    can_write,
    check_user_id,
    parse_location,
)
from locations.faults import InjectedFault, inject

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)
PARIS = {"latitude": 48.8584, "longitude": 2.2945, "place": "  Paris,   Eiffel Tower "}


def test_a_valid_location_is_normalised():
    location = parse_location("u1", PARIS, NOW)
    assert location.to_json() == {
        "userId": "u1",
        "latitude": 48.8584,
        "longitude": 2.2945,
        "place": "Paris, Eiffel Tower",
        "updatedAt": "2025-05-01T12:00:00.000Z",
    }


def test_updated_at_is_taken_when_valid():
    location = parse_location("u1", {**PARIS, "updatedAt": "2025-05-01T13:30:00+02:00"}, NOW)
    assert location.updated_at == "2025-05-01T11:30:00.000Z"
    assert parse_location("u1", {**PARIS, "latitude": 10}, NOW).latitude == 10.0
    assert parse_location("u1", {**PARIS, "latitude": 1.23456789}, NOW).latitude == 1.234568


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"latitude": 90.5}, "latitude must be between -90 and 90"),
        ({"latitude": -91}, "latitude must be between"),
        ({"longitude": 180.01}, "longitude must be between -180 and 180"),
        ({"latitude": "48.8"}, "latitude is required and must be a number"),
        ({"latitude": True}, "must be a number"),
        ({"longitude": float("nan")}, "longitude must be between"),
        ({"latitude": float("inf")}, "latitude must be between"),
        ({"latitude": None}, "latitude is required"),
        ({"place": ""}, "place is required"),
        ({"place": "x" * 101}, "at most 100"),
        ({"place": "tab\x00null"}, "control characters"),
        ({"updatedAt": "yesterday"}, "ISO 8601"),
        ({"updatedAt": 1714560000}, "ISO 8601"),
        ({"updatedAt": "2025-05-01T12:00:00"}, "time zone"),
        ({"updatedAt": "2025-05-01T12:05:00Z"}, "future"),
        ({"updatedAt": "1999-12-31T23:59:59Z"}, "too far in the past"),
        ({"altitude": 35}, "unknown fields: altitude"),
    ],
)
def test_invalid_locations_say_why(change, message):
    with pytest.raises(InvalidLocation, match=message):
        parse_location("u1", {**PARIS, **change}, NOW)


def test_the_body_must_be_an_object_and_the_id_sane():
    with pytest.raises(InvalidLocation, match="JSON object"):
        parse_location("u1", [1, 2], NOW)
    for bad in ("", "a/b", "x" * 65, "a b"):
        with pytest.raises(InvalidLocation):
            check_user_id(bad)


def test_who_may_write_and_read():
    owner = caller_from_claims({"sub": "u1", "token_use": "access", "scope": "locations:write"})
    other = caller_from_claims({"sub": "u2", "token_use": "access"})
    service = caller_from_claims(
        {"sub": "profiles", "token_use": "service", "scope": "locations:read"}
    )
    weak_service = caller_from_claims({"sub": "orders", "token_use": "service", "scope": "x"})
    assert can_write(owner, "u1") and can_read(owner, "u1")
    assert not can_write(other, "u1") and not can_read(other, "u1")
    assert can_read(service, "u1") and not can_write(service, "u1")
    assert not can_read(weak_service, "u1")
    # a service token whose client id happens to equal a user id is still not that user
    assert not can_write(Caller("u1", "service", frozenset()), "u1")
    # a token without token_use is neither
    assert not can_read(caller_from_claims({"sub": "u1", "scope": "locations:read"}), "u1")


def test_fault_injection():
    inject("none")
    with pytest.raises(InjectedFault):
        inject("error")
    with pytest.raises(ValueError, match="unknown FaultInjection"):
        inject("sometimes")
    inject("delay:1")
