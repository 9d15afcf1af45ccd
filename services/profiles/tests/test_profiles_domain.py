from datetime import UTC, datetime

import pytest
from profiles.domain import (
    InvalidProfile,
    ServiceToken,
    check_user_id,
    location_view,
    may_change,
    parse_profile,
    profile_page,
    service_token_from,
)

NOW = datetime(2025, 5, 1, 12, 0, 0, tzinfo=UTC)
LOCATION = {
    "userId": "u1",
    "latitude": 48.8584,
    "longitude": 2.2945,
    "place": "Paris",
    "updatedAt": "2025-05-01T11:00:00.000Z",
}


def test_a_valid_profile_is_normalised():
    profile = parse_profile("u1", {"displayName": "  Ada   Lovelace ", "bio": " Analyst \n"}, NOW)
    assert profile.to_json() == {
        "userId": "u1",
        "displayName": "Ada Lovelace",
        "bio": "Analyst",
        "updatedAt": "2025-05-01T12:00:00.000Z",
    }
    assert parse_profile("u1", {"displayName": "Ada"}, NOW).bio == ""


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "displayName is required"),
        ({"displayName": "  "}, "displayName is required"),
        ({"displayName": "x" * 65}, "at most 64"),
        ({"displayName": "Ada", "bio": 3}, "bio must be a string"),
        ({"displayName": "Ada", "bio": "x" * 281}, "at most 280"),
        ({"displayName": "Ada", "bio": "bell\x07"}, "control characters"),
        ({"displayName": "Ada", "userId": "u2"}, "unknown fields: userId"),
        ("Ada", "JSON object"),
    ],
)
def test_invalid_profiles_say_why(body, message):
    with pytest.raises(InvalidProfile, match=message):
        parse_profile("u1", body, NOW)


def test_user_ids():
    assert check_user_id("a-B_9") == "a-B_9"
    for bad in ("", "../x", "x" * 65):
        with pytest.raises(InvalidProfile):
            check_user_id(bad)


def test_only_the_owner_with_a_user_token_may_change_a_profile():
    assert may_change({"sub": "u1", "token_use": "access"}, "u1")
    assert not may_change({"sub": "u2", "token_use": "access"}, "u1")
    assert not may_change({"sub": "u1", "token_use": "service"}, "u1")
    assert not may_change({}, "u1")


def test_what_locations_answered_becomes_the_pages_location():
    assert location_view(200, LOCATION, "u1") == {
        "status": "available",
        "latitude": 48.8584,
        "longitude": 2.2945,
        "place": "Paris",
        "updatedAt": "2025-05-01T11:00:00.000Z",
    }
    assert location_view(404, {"message": "no location"}, "u1") == {"status": "not_shared"}
    for status, body in (
        (0, None),  # unreachable or too slow
        (500, {"message": "Internal Server Error"}),
        (503, None),
        (401, {"message": "Unauthorized"}),
        (403, {"message": "Forbidden"}),
        (200, "not json"),
        (200, {**LOCATION, "userId": "someone-else"}),  # never show another user's place
        (200, {"userId": "u1"}),
    ):
        assert location_view(status, body, "u1") == {"status": "unavailable"}


def test_a_page_is_the_profile_and_its_location():
    profile = parse_profile("u1", {"displayName": "Ada"}, NOW)
    page = profile_page(profile, {"status": "unavailable"})
    assert page["displayName"] == "Ada" and page["location"] == {"status": "unavailable"}


def test_service_tokens_are_used_until_a_minute_before_they_expire():
    token = service_token_from({"access_token": "t", "expires_in": 900}, 1000.0)
    assert token == ServiceToken("t", 1900.0)
    assert token.fresh(1839.0)
    assert not token.fresh(1840.0)
    with pytest.raises(ValueError):
        service_token_from({"access_token": "t"}, 0)
