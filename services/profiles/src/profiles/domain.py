"""Profiles, who may change them, and how a profile page is put together. Pure.

A profile page shows the location that the locations service holds; when it cannot
be had in time, the page still shows, with ``"location": {"status": "unavailable"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_NAME = 64
MAX_BIO = 280
FIELDS = {"displayName", "bio"}
LOCATION_FIELDS = ("latitude", "longitude", "place", "updatedAt")

UNAVAILABLE = {"status": "unavailable"}
NOT_SHARED = {"status": "not_shared"}


class InvalidProfile(ValueError):
    """The request does not describe a valid profile; the message says why."""


@dataclass(frozen=True)
class Profile:
    user_id: str
    display_name: str
    bio: str
    updated_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "displayName": self.display_name,
            "bio": self.bio,
            "updatedAt": self.updated_at,
        }


def check_user_id(user_id: str) -> str:
    if not USER_ID.match(user_id):
        raise InvalidProfile("userId must be 1-64 letters, digits, '-' or '_'")
    return user_id


def _clean(text: str) -> str:
    return " ".join(text.split())


def parse_profile(user_id: str, body: Any, now: datetime) -> Profile:
    """Validate ``{"displayName", "bio"?}`` into a Profile."""
    if not isinstance(body, dict):
        raise InvalidProfile("the body must be a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidProfile(f"unknown fields: {', '.join(unknown)}")
    name = body.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise InvalidProfile("displayName is required")
    name = _clean(name)
    if len(name) > MAX_NAME:
        raise InvalidProfile(f"displayName must be at most {MAX_NAME} characters")
    bio = body.get("bio", "")
    if not isinstance(bio, str):
        raise InvalidProfile("bio must be a string")
    bio = bio.strip()
    if len(bio) > MAX_BIO:
        raise InvalidProfile(f"bio must be at most {MAX_BIO} characters")
    if any(ord(c) < 32 and c != "\n" for c in name + bio):
        raise InvalidProfile("displayName and bio must not contain control characters")
    stamp = now.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Profile(check_user_id(user_id), name, bio, stamp)


def may_change(claims: dict[str, str], user_id: str) -> bool:
    """Only the owner, with a user's access token (not a service's)."""
    return claims.get("token_use") == "access" and claims.get("sub") == user_id


def location_view(status: int, body: Any, user_id: str) -> dict[str, Any]:
    """What locations answered, as the profile page shows it."""
    if status == 404:
        return dict(NOT_SHARED)
    if status != 200 or not isinstance(body, dict) or body.get("userId") != user_id:
        return dict(UNAVAILABLE)
    if not all(k in body for k in LOCATION_FIELDS):
        return dict(UNAVAILABLE)
    return {"status": "available", **{k: body[k] for k in LOCATION_FIELDS}}


def profile_page(profile: Profile, location: dict[str, Any]) -> dict[str, Any]:
    return {**profile.to_json(), "location": location}


@dataclass(frozen=True)
class ServiceToken:
    value: str
    expires_at: float

    def fresh(self, now: float, margin_s: float = 60) -> bool:
        """Good for at least ``margin_s`` more seconds (never hand out a dying token)."""
        return now < self.expires_at - margin_s


def service_token_from(body: Any, now: float) -> ServiceToken:
    if not isinstance(body, dict):
        raise ValueError("the token response is not a JSON object")
    token, expires_in = body.get("access_token"), body.get("expires_in")
    if not isinstance(token, str) or not isinstance(expires_in, int):
        raise ValueError("the token response has no access_token and expires_in")
    return ServiceToken(token, now + expires_in)
