"""Searching patients: parameters, cursors and the searchset Bundle. Pure.

GET /patients?family=&given=&birthdate=&identifier=&_count=&_cursor=
- family, given: a name starts with the value, ignoring case and accents; several
  values separated by commas match any of them (FHIR's OR).
- birthdate: a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD), with an optional prefix eq,
  lt, le, gt or ge, compared as FHIR compares ranges.
- identifier: ``system|value``, ``value`` (any system), ``|value`` (no system) or
  ``system|`` (any value in the system); commas for OR.
- _count (1-100, default 20) and _cursor (from the previous page's next link).
Anything else is refused, so a misspelled parameter never silently widens a search.
API Gateway joins a repeated parameter's values with commas: they mean OR here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from patients.domain import StoredPatient, check_id, normalize
from patients.errors import Invalid, Issue
from patients.fhir import CONTROL, date_bounds, trim

PARAMETERS = ("family", "given", "birthdate", "identifier", "_count", "_cursor")
DEFAULT_COUNT = 20
MAX_COUNT = 100
MAX_VALUES = 10
MAX_LENGTH = 200
PREFIXES = ("eq", "lt", "le", "gt", "ge")
_PREFIXED = re.compile(r"^(eq|ne|lt|le|gt|ge|sa|eb|ap)?(.*)$")


@dataclass(frozen=True)
class BirthDate:
    prefix: str
    low: date
    high: date


@dataclass(frozen=True)
class SearchQuery:
    family: tuple[str, ...] = ()
    given: tuple[str, ...] = ()
    birthdate: BirthDate | None = None
    identifiers: tuple[tuple[str | None, str | None], ...] = ()  # (system, value); None: any
    count: int = DEFAULT_COUNT
    after: str | None = None  # the last id of the previous page

    @property
    def criteria(self) -> list[str]:
        """The names of the parameters used (what the audit trail records, not values)."""
        names = [("family", self.family), ("given", self.given), ("identifier", self.identifiers)]
        used = [name for name, values in names if values]
        return [*used, "birthdate"] if self.birthdate else used


def _invalid(parameter: str, message: str) -> Invalid:
    return Invalid(f"{parameter}: {message}", issues=(Issue("value", message, (parameter,)),))


def _values(name: str, raw: str) -> list[str]:
    if CONTROL.search(raw):  # PostgreSQL text cannot even hold NUL
        raise _invalid(name, "control characters are not allowed")
    values = [trim(v) for v in raw.split(",")]
    if not all(values):
        raise _invalid(name, "empty value")
    if len(values) > MAX_VALUES:
        raise _invalid(name, f"at most {MAX_VALUES} values")
    if any(len(v) > MAX_LENGTH for v in values):
        raise _invalid(name, f"values are at most {MAX_LENGTH} characters")
    return values


def _birthdate(raw: str) -> BirthDate:
    if "," in raw:
        raise _invalid("birthdate", "one value only")
    match = _PREFIXED.match(trim(raw))
    prefix, value = (match.group(1) or "eq", match.group(2)) if match else ("eq", raw)
    if prefix not in PREFIXES:
        raise _invalid("birthdate", f"the prefix {prefix} is not supported (use {PREFIXES})")
    try:
        low, high = date_bounds(value)
    except ValueError as exc:
        raise _invalid("birthdate", str(exc)) from None
    return BirthDate(prefix, low, high)


def _identifier(value: str) -> tuple[str | None, str | None]:
    if "|" not in value:
        return None, value
    system, _, code = value.partition("|")
    if not system and not code:
        raise _invalid("identifier", "give a system, a value or both: system|value")
    return system, code or None


def parse_search(params: dict[str, str] | None) -> SearchQuery:
    params = params or {}
    unknown = sorted(set(params) - set(PARAMETERS))
    if unknown:
        names = ", ".join(name[:40] for name in unknown)
        raise Invalid(
            f"unknown search parameter(s): {names}; this server supports {', '.join(PARAMETERS)}"
        )
    count = DEFAULT_COUNT
    if "_count" in params:
        raw = params["_count"]
        if not whole_number(raw) or not 1 <= int(raw) <= MAX_COUNT:
            raise _invalid("_count", f"must be a whole number from 1 to {MAX_COUNT}")
        count = int(raw)
    return SearchQuery(
        family=tuple(normalize(v) for v in _values("family", params["family"]))
        if "family" in params
        else (),
        given=tuple(normalize(v) for v in _values("given", params["given"]))
        if "given" in params
        else (),
        birthdate=_birthdate(params["birthdate"]) if "birthdate" in params else None,
        identifiers=tuple(_identifier(v) for v in _values("identifier", params["identifier"]))
        if "identifier" in params
        else (),
        count=count,
        after=decode_cursor(params["_cursor"]) if "_cursor" in params else None,
    )


def whole_number(raw: str) -> bool:
    """ASCII digits only: str.isdigit() also says yes to "²" (which int() refuses) and
    to other scripts' digits."""
    return raw.isascii() and raw.isdigit()


def encode_cursor(last_id: str) -> str:
    raw = json.dumps({"after": last_id}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        return check_id(value["after"])
    except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error, Invalid):
        raise _invalid("_cursor", "not a cursor this server gave out") from None


def bundle(
    page: list[StoredPatient],
    query: SearchQuery,
    params: dict[str, str],
    base_url: str,
) -> dict[str, Any]:
    """A searchset Bundle; ``page`` holds up to count + 1 records (the extra one: more)."""
    more = len(page) > query.count
    shown = page[: query.count]
    kept = {k: v for k, v in params.items() if k != "_cursor"}
    links = [{"relation": "self", "url": f"{base_url}/patients?{urlencode(params)}".rstrip("?")}]
    if more:
        after = {**kept, "_cursor": encode_cursor(shown[-1].id)}
        links.append({"relation": "next", "url": f"{base_url}/patients?{urlencode(after)}"})
    result: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if shown:  # FHIR JSON has no empty arrays
        result["entry"] = [
            {
                "fullUrl": f"{base_url}/patients/{p.id}",
                "resource": p.resource(),
                "search": {"mode": "match"},
            }
            for p in shown
        ]
    return result
