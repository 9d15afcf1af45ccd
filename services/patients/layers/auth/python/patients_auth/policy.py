"""What a caller may do: per function (role and scope) and per object (which patient).

- A clinician reads, searches, creates, updates and deletes the patients of their
  organization, and no others.
- A patient reads (and finds) only the record linked to their own user id, and its
  earlier versions.
- An admin reads the audit trails of their organization's patients; being an admin
  grants no access to the records themselves.

A token needs both the role (what the user is) and the scope (what the client
application was granted): ``patients:read`` for reads and searches,
``patients:write`` for changes, ``patients:audit`` for audit trails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from patients_auth.principal import Principal

Action = Literal["read", "vread", "search", "create", "update", "delete", "read-audit"]

SCOPES: dict[str, str] = {
    "read": "patients:read",
    "vread": "patients:read",
    "search": "patients:read",
    "create": "patients:write",
    "update": "patients:write",
    "delete": "patients:write",
    "read-audit": "patients:audit",
}
ROLES_FOR: dict[str, frozenset[str]] = {
    "read": frozenset({"clinician", "patient"}),
    "vread": frozenset({"clinician", "patient"}),
    "search": frozenset({"clinician", "patient"}),
    "create": frozenset({"clinician"}),
    "update": frozenset({"clinician"}),
    "delete": frozenset({"clinician"}),
    "read-audit": frozenset({"admin"}),
}


class Forbidden(Exception):
    """The caller may not perform this action at all (function-level, API5)."""


@dataclass(frozen=True)
class PatientRef:
    """What object-level checks need to know of a patient record."""

    organization: str
    user_id: str | None


@dataclass(frozen=True)
class SearchScope:
    """The records a search may return: an organization's, and/or the caller's own."""

    organization: str | None
    user_id: str | None


def require(principal: Principal, action: Action) -> None:
    """Raise Forbidden unless the caller's roles and scopes allow the action."""
    scope = SCOPES[action]
    if scope not in principal.scopes:
        raise Forbidden(f"the token lacks the {scope} scope")
    allowed = ROLES_FOR[action]
    if not principal.roles & allowed:
        raise Forbidden(f"{action} needs the role {' or '.join(sorted(allowed))}")
    # A patient finds their own record by user id; everyone else works for an organization.
    needs_org = action not in ("read", "vread", "search") or not principal.has_role("patient")
    if needs_org and principal.organization is None:
        raise Forbidden("the token names no organization")


def may_access(principal: Principal, action: Action, patient: PatientRef) -> bool:
    """Object level (API1): may this caller act on this patient record?"""
    if not principal.roles & ROLES_FOR[action]:
        return False
    same_org = principal.organization is not None and principal.organization == patient.organization
    if action == "read-audit":
        return principal.has_role("admin") and same_org
    if principal.has_role("clinician") and same_org:
        return True
    own = patient.user_id is not None and patient.user_id == principal.user_id
    return action in ("read", "vread") and principal.has_role("patient") and own


def search_scope(principal: Principal) -> SearchScope:
    """Which records a search by this caller may see (a filter every search applies)."""
    org = principal.organization if principal.has_role("clinician") else None
    own = principal.user_id if principal.has_role("patient") else None
    return SearchScope(org, own)
