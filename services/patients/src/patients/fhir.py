"""The FHIR R4 Patient resource this service accepts, validated strictly.

What a client may send back as it read it (FHIR R4 RESTful API, http.html#update: "a
client must be able to PUT what it just read"): ``id`` (create ignores it; update
requires it, equal to the URL's id: the service checks that), ``meta`` with only
``versionId`` and ``lastUpdated`` (ignored: the server manages both) and
``managingOrganization`` (the record's own organization: the service checks that; it
is never moved by a client).

What is refused (400 with an OperationOutcome naming each problem):
- anything but a JSON object whose ``resourceType`` is ``Patient``;
- elements this service does not support (``contact``, ``extension``, ``_birthDate``,
  ``meta.profile``, ...), misspelled ones, ``null`` values, empty objects and arrays
  (FHIR JSON forbids them), wrong JSON types (no coercion: ``"true"`` is not a boolean);
- codes outside their value set (gender, name/telecom/address use, ...), dates that
  are not FHIR dates or not on the calendar (``1990-02-30``), a birth date in the
  future, a period that ends before it starts, a telecom value without its system.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    ValidationError,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from patients.errors import Invalid, Issue, IssueType

# What the server sets: never stored as the client sent it (content_of leaves them out).
SERVER_OWNED = frozenset({"id", "meta", "managingOrganization"})
# FHIR R4 datatypes.html: id and instant. An organization id: patients_auth.principal.
ID_PATTERN = r"^[A-Za-z0-9\-.]{1,64}$"
INSTANT_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:"
    r"([0-5][0-9]|60)(\.[0-9]{1,9})?(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$"
)
ORGANIZATION_PATTERN = r"[A-Za-z0-9._:-]{1,64}"
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # ids it gives
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # all but tab, LF, CR
# FHIR's own regexes (ASCII digits; a year from 0001), whole strings only: in Python,
# \d is any Unicode digit and $ also matches before a final newline.
_YEAR = r"([0-9](?:[0-9](?:[0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)"
DATE_PATTERN = rf"^{_YEAR}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12][0-9]|3[01]))?)?$"
_DATE = re.compile(DATE_PATTERN)
DATETIME_PATTERN = (
    rf"^{_YEAR}(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12][0-9]|3[01])"
    r"(?:T([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9]|60)(\.[0-9]{1,9})?"
    r"(Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9]|[+-]14:00))?)?)?$"
)
_DATETIME = re.compile(DATETIME_PATTERN)

# What _string checks, as JSON Schema (ECMA-262) patterns for the OpenAPI document;
# tests/test_patients_openapi.py checks that both agree. Blank is what Python's
# str.isspace() says and ECMA-262's \s says (U+FEFF), less the control characters;
# spelled out, because \s differs between Python's re, ECMA-262 and Rust's regex.
BLANK_CHARS = r"\t\n\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"  # all but the control characters
SOLID = rf"[^{BLANK_CHARS}\x00-\x1f\x7f]"  # neither blank nor a control character
TEXT_PATTERN = rf"^{ALLOWED}*{SOLID}{ALLOWED}*$"
_BLANK = re.compile(rf"[\s{BLANK_CHARS}]*")
_TRIM = re.compile(rf"^[\s{BLANK_CHARS}]+|[\s{BLANK_CHARS}]+$")
# uri and code (FHIR): no whitespace, and no control characters (FHIR strings have none).
_VISIBLE = r"[^\s\x00-\x1f\x7f]"


def trim(value: str) -> str:
    """``value`` without blanks around it (what the patterns above call blank)."""
    return _TRIM.sub("", value)


class Documented:
    """Adds to a type's JSON Schema what its AfterValidator checks (for clients)."""

    def __init__(self, **schema: Any) -> None:
        self.schema = schema

    def __get_pydantic_json_schema__(
        self, core: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(core), **self.schema}


def _string(value: str) -> str:
    if _BLANK.fullmatch(value):
        raise ValueError("must have non-whitespace content")
    if CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def date_bounds(value: str) -> tuple[date, date]:
    """The first and last day a FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) covers."""
    match = _DATE.fullmatch(value)
    if not match:
        raise ValueError("must be a FHIR date: YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    y = int(year)
    if y < 1:
        raise ValueError("the year must be 0001 or later")
    if day is not None:
        try:
            exact = date(y, int(month), int(day))
        except ValueError:
            raise ValueError("is not a day of the calendar") from None
        return exact, exact
    if month is not None:
        m = int(month)
        last = (date(y + (m == 12), m % 12 + 1, 1) - date(y, m, 1)).days
        return date(y, m, 1), date(y, m, last)
    return date(y, 1, 1), date(y, 12, 31)


def _date(value: str) -> str:
    date_bounds(value)
    return value


def _datetime(value: str) -> str:
    match = _DATETIME.fullmatch(value)
    if not match:
        raise ValueError("must be a FHIR dateTime (YYYY-MM-DDThh:mm:ss+zz:zz, or a date)")
    date_bounds(value[:10] if len(value) >= 10 else value)
    return value


_TEXT = Documented(pattern=TEXT_PATTERN)
String = Annotated[str, Field(max_length=1000), AfterValidator(_string), _TEXT]
ShortString = Annotated[str, Field(max_length=200), AfterValidator(_string), _TEXT]
Uri = Annotated[str, Field(min_length=1, max_length=2048, pattern=rf"^{_VISIBLE}+$")]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=rf"^{_VISIBLE}+( {_VISIBLE}+)*$")]
FhirDate = Annotated[
    str,
    AfterValidator(_date),
    Documented(
        pattern=DATE_PATTERN,
        description="A FHIR date (YYYY, YYYY-MM or YYYY-MM-DD) that is on the calendar.",
    ),
]
FhirDateTime = Annotated[
    str,
    AfterValidator(_datetime),
    Documented(
        pattern=DATETIME_PATTERN,
        description="A FHIR dateTime (a date, or a date and a time with its zone).",
    ),
]
PositiveInt = Annotated[int, Field(ge=1, le=2147483647)]


class Element(BaseModel):
    # minProperties: FHIR JSON has no empty objects (the validator below).
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, json_schema_extra={"minProperties": 1}
    )

    @model_validator(mode="before")
    @classmethod
    def _fhir_json(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if not data:
                raise ValueError("an element must have content (FHIR JSON has no empty objects)")
            nulls = sorted(k for k, v in data.items() if v is None)
            if nulls:
                raise ValueError(f"null is not allowed (leave the element out): {', '.join(nulls)}")
        return data


def _list(item: Any, most: int) -> Any:
    return Annotated[list[item], Field(min_length=1, max_length=most)]  # type: ignore[valid-type]


class Coding(Element):
    system: Uri | None = None
    version: ShortString | None = None
    code: Code | None = None
    display: String | None = None


class CodeableConcept(Element):
    coding: _list(Coding, 10) | None = None
    text: String | None = None


class Period(Element):
    start: FhirDateTime | None = None
    end: FhirDateTime | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start and self.end and self.end[:10] < self.start[:10]:
            raise ValueError("end must not be before start")
        return self


class Identifier(Element):
    use: Literal["usual", "official", "temp", "secondary", "old"] | None = None
    type: CodeableConcept | None = None
    system: Uri | None = None
    value: ShortString | None = None
    period: Period | None = None


class HumanName(Element):
    use: Literal["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"] | None = (
        None
    )
    text: String | None = None
    family: ShortString | None = None
    given: _list(ShortString, 10) | None = None
    prefix: _list(ShortString, 5) | None = None
    suffix: _list(ShortString, 5) | None = None
    period: Period | None = None


class ContactPoint(Element):
    model_config = ConfigDict(
        json_schema_extra={"minProperties": 1, "dependentRequired": {"value": ["system"]}}
    )

    system: Literal["phone", "fax", "email", "pager", "url", "sms", "other"] | None = None
    value: ShortString | None = None
    use: Literal["home", "work", "temp", "old", "mobile"] | None = None
    rank: PositiveInt | None = None
    period: Period | None = None

    @model_validator(mode="after")
    def _system_with_value(self) -> ContactPoint:
        if self.value is not None and self.system is None:  # FHIR invariant cpt-2
            raise ValueError("a contact point with a value must have a system")
        return self


class Address(Element):
    use: Literal["home", "work", "temp", "old", "billing"] | None = None
    type: Literal["postal", "physical", "both"] | None = None
    text: String | None = None
    line: _list(ShortString, 10) | None = None
    city: ShortString | None = None
    district: ShortString | None = None
    state: ShortString | None = None
    postalCode: ShortString | None = None
    country: ShortString | None = None
    period: Period | None = None


FhirId = Annotated[str, Field(pattern=ID_PATTERN)]
FhirInstant = Annotated[str, Field(pattern=INSTANT_PATTERN)]


class SentMeta(Element):
    """``meta`` as read: the server ignores both (FHIR R4 http.html#update, #create: "If
    the request body includes a meta, the server SHALL ignore the provided versionId and
    lastUpdated values")."""

    versionId: FhirId | None = None
    lastUpdated: FhirInstant | None = None


class OrganizationReference(Element):
    reference: Annotated[str, Field(pattern=rf"^Organization/{ORGANIZATION_PATTERN}$")]


class Patient(Element):
    """A Patient as a client sends it: new, or as it was read (id, meta and
    managingOrganization included)."""

    resourceType: Literal["Patient"]
    id: FhirId | None = None
    meta: SentMeta | None = None
    identifier: _list(Identifier, 20) | None = None
    active: bool | None = None
    name: _list(HumanName, 10) | None = None
    telecom: _list(ContactPoint, 20) | None = None
    gender: Literal["male", "female", "other", "unknown"] | None = None
    birthDate: FhirDate | None = None
    address: _list(Address, 10) | None = None
    managingOrganization: OrganizationReference | None = None

    @model_validator(mode="after")
    def _unique_identifiers(self) -> Patient:
        seen = set()
        for ident in self.identifier or ():
            key = (ident.system or "", ident.value)
            if ident.value is not None and key in seen:
                raise ValueError("an identifier (system and value) is listed twice")
            seen.add(key)
        return self


class PatientUpdate(Patient):
    """A Patient sent to replace one (PUT): it carries its id, the one in the URL (FHIR
    R4 http.html#update: "The request body SHALL be a Resource with an id element that
    has an identical value to the [id] in the URL")."""

    id: Annotated[str, Field(pattern=UUID_PATTERN)]  # type: ignore[assignment]


def _expression(loc: tuple[int | str, ...]) -> str:
    path = "Patient"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


_CODES: dict[str, IssueType] = {"extra_forbidden": "structure", "missing": "required"}
_MESSAGES = {
    "extra_forbidden": "is not an element of Patient this server accepts",
    "missing": "is required",
}


def parse_patient(body: Any, today: date, model: type[Patient] = Patient) -> Patient:
    """The validated Patient (a ``model``); Invalid listing every problem otherwise."""
    if not isinstance(body, dict):
        raise Invalid("the body must be a JSON object: a FHIR Patient resource")
    if body.get("resourceType") not in (None, "Patient"):
        raise Invalid(
            "resourceType must be Patient",
            issues=(Issue("invalid", "resourceType must be Patient", ("Patient.resourceType",)),),
        )
    try:
        patient = model.model_validate(body)
    except ValidationError as exc:
        issues = tuple(
            Issue(
                _CODES.get(err["type"], "value"),
                _MESSAGES.get(err["type"], err["msg"].removeprefix("Value error, ")),
                (_expression(tuple(err["loc"])),),
            )
            for err in exc.errors(include_url=False, include_input=False, include_context=False)
        )
        raise Invalid(
            f"the Patient is not valid ({len(issues)} problem(s))", issues=issues
        ) from None
    if patient.birthDate is not None and date_bounds(patient.birthDate)[0] > today:
        raise Invalid(
            "birthDate is in the future",
            issues=(Issue("value", "birthDate is in the future", ("Patient.birthDate",)),),
        )
    return patient


def content_of(patient: Patient) -> dict[str, Any]:
    """What is stored: the resource as validated, absent elements left out."""
    return patient.model_dump(mode="json", exclude_none=True, exclude=set(SERVER_OWNED))


def instant(moment: datetime) -> str:
    """A FHIR instant in UTC: ``2024-05-01T12:00:00.123Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _ranks() -> dict[str, int]:
    ranks: dict[str, int] = {"resourceType": -3, "id": -2, "meta": -1}
    for model in (Patient, Identifier, HumanName, ContactPoint, Address, Period, Coding):
        for i, name in enumerate(model.model_fields):
            ranks.setdefault(name, i)
    return ranks


_RANKS = _ranks()


def in_fhir_order(value: Any) -> Any:
    """Elements in the order FHIR lists them (the database keeps JSON keys sorted its way)."""
    if isinstance(value, dict):
        ordered = sorted(value.items(), key=lambda kv: (_RANKS.get(kv[0], 50), kv[0]))
        return {k: in_fhir_order(v) for k, v in ordered}
    if isinstance(value, list):
        return [in_fhir_order(v) for v in value]
    return value
