"""Contacts: what a valid contact is. Pure: no AWS, no I/O."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
CONTACT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
MAX_NAME = 100
MAX_PHONES = 10
FIELDS = {"name", "phones", "email"}


class InvalidContact(ValueError):
    """The request does not describe a valid contact; the message says why."""


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    phones: tuple[str, ...] = field(default_factory=tuple)
    email: str | None = None

    def to_item(self) -> dict[str, Any]:
        item: dict[str, Any] = {"id": self.id, "name": self.name, "phones": list(self.phones)}
        if self.email is not None:
            item["email"] = self.email
        return item

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Contact:
        return cls(
            id=item["id"],
            name=item["name"],
            phones=tuple(item.get("phones", [])),
            email=item.get("email"),
        )


def new_id() -> str:
    return str(uuid.uuid4())


def check_id(contact_id: str) -> str:
    if not CONTACT_ID.match(contact_id):
        raise InvalidContact("id must be 1-64 letters, digits, '-' or '_'")
    return contact_id


def parse_contact(contact_id: str, body: Any) -> Contact:
    """Validate a request body ({"name", "phones", "email"}) into a Contact."""
    if not isinstance(body, dict):
        raise InvalidContact("the body must be a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise InvalidContact(f"unknown fields: {', '.join(unknown)}")
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InvalidContact("name is required")
    name = " ".join(name.split())
    if len(name) > MAX_NAME:
        raise InvalidContact(f"name must be at most {MAX_NAME} characters")
    phones = body.get("phones", [])
    if not isinstance(phones, list) or not all(isinstance(p, str) for p in phones):
        raise InvalidContact("phones must be a list of strings")
    if len(phones) > MAX_PHONES:
        raise InvalidContact(f"at most {MAX_PHONES} phone numbers")
    for phone in phones:
        if not E164.match(phone):
            raise InvalidContact(f"phone {phone!r} is not in E.164 format (e.g. +14155552671)")
    if len(set(phones)) != len(phones):
        raise InvalidContact("phone numbers must not repeat")
    email = body.get("email")
    if email is not None and (not isinstance(email, str) or not EMAIL.match(email)):
        raise InvalidContact("email is not a valid address")
    return Contact(id=check_id(contact_id), name=name, phones=tuple(phones), email=email)


def parse_limit(raw: str | None, default: int = 25, maximum: int = 100) -> int:
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidContact(f"limit must be a whole number from 1 to {maximum}")
    return int(raw)
