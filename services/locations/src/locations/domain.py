"""Locations and who may see or change them. Pure: no AWS, no I/O.

The gateway's JWT authorizer has already checked the token (signature, issuer,
audience, expiry); what is left here is the decision that needs the resource: a
user writes only their own location; a user reads their own, and a service reads
any with the ``locations:read`` scope.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

USER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_PLACE = 100
FIELDS = {"latitude", "longitude", "place", "updatedAt"}
READ_SCOPE = "locations:read"
CLOCK_SKEW = timedelta(minutes=1)


class InvalidLocation(ValueError):
    """The request does not describe a valid location; the message says why."""


@dataclass(frozen=True)
class Location:
    user_id: str
    latitude: float
    longitude: float
    place: str
    updated_at: str  # ISO 8601, UTC, milliseconds: "2024-05-01T12:00:00.000Z"

    def to_json(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "place": self.place,
            "updatedAt": self.updated_at,
        }


def check_user_id(user_id: str) -> str:
    if not USER_ID.match(user_id):
        raise InvalidLocation("userId must be 1-64 letters, digits, '-' or '_'")
    return user_id


def _coordinate(body: dict[str, Any], name: str, bound: int) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidLocation(f"{name} is required and must be a number")
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise InvalidLocation(f"{name} must be between -{bound} and {bound}")
    return round(float(value), 6)  # ~10 cm: more digits are noise


def format_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _updated_at(raw: Any, now: datetime) -> str:
    if raw is None:
        return format_time(now)
    if not isinstance(raw, str):
        raise InvalidLocation("updatedAt must be an ISO 8601 date and time")
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidLocation("updatedAt must be an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise InvalidLocation("updatedAt must include a time zone (e.g. 2024-05-01T12:00:00Z)")
    if moment > now + CLOCK_SKEW:
        raise InvalidLocation("updatedAt must not be in the future")
    if moment < datetime(2000, 1, 1, tzinfo=UTC):
        raise InvalidLocation("updatedAt is too far in the past")
    return format_time(moment)


def parse_location(user_id: str, body: Any, now: datetime) -> Location:
    """Validate ``{"latitude", "longitude", "place", "updatedAt"?}`` into a Location."""
    if not isinstance(body, dict):
        raise InvalidLocation("the body must be a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidLocation(f"unknown fields: {', '.join(unknown)}")
    latitude = _coordinate(body, "latitude", 90)
    longitude = _coordinate(body, "longitude", 180)
    place = body.get("place")
    if not isinstance(place, str) or not place.strip():
        raise InvalidLocation("place is required")
    place = " ".join(place.split())
    if len(place) > MAX_PLACE:
        raise InvalidLocation(f"place must be at most {MAX_PLACE} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in place):
        raise InvalidLocation("place must not contain control characters")
    return Location(
        check_user_id(user_id), latitude, longitude, place, _updated_at(body.get("updatedAt"), now)
    )


# -- who is asking ---------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    subject: str
    kind: Literal["user", "service", "unknown"]
    scopes: frozenset[str]


def caller_from_claims(claims: dict[str, str]) -> Caller:
    """The verified claims API Gateway hands the function (every value a string)."""
    use = claims.get("token_use")
    kind: Literal["user", "service", "unknown"] = (
        "user" if use == "access" else "service" if use == "service" else "unknown"
    )
    return Caller(claims.get("sub", ""), kind, frozenset(claims.get("scope", "").split()))


def can_write(caller: Caller, user_id: str) -> bool:
    return caller.kind == "user" and caller.subject == user_id


def can_read(caller: Caller, user_id: str) -> bool:
    return can_write(caller, user_id) or (caller.kind == "service" and READ_SCOPE in caller.scopes)
