"""Token claims -> the caller: user id, roles, organization, scopes.

API Gateway hands a JWT authorizer's claims to the function as strings
(``requestContext.authorizer.jwt.claims``): arrays arrive Go-printed (``"[a b]"``),
and the scopes the token carries come separately (``authorizer.jwt.scopes``). A REST
API's Cognito authorizer puts them in ``authorizer.claims`` instead, with arrays
comma-joined. Both are read here; the gateway has already checked the signature,
issuer, audience and expiry, so this only interprets what a valid token says.

Claims used: ``sub`` (the user id), ``roles`` (clinician, patient, admin; also read
from ``cognito:groups``), ``org`` (the organization a clinician or admin works for),
``scope`` (``patients:read``, ``patients:write``, ``patients:audit``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROLES = frozenset({"clinician", "patient", "admin"})
USER_ID = re.compile(r"^[A-Za-z0-9._@:|+-]{1,128}$")
ORGANIZATION = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class Unauthenticated(Exception):
    """No usable identity in the request (no authorizer, no subject)."""


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: frozenset[str]
    organization: str | None
    scopes: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles


def split_claim(value: Any) -> list[str]:
    """A multi-valued claim as API Gateway may print it: ``"[a b]"``, ``"a,b"``, ``"a b"``."""
    if isinstance(value, list):
        return [str(v) for v in value]
    if not isinstance(value, str):
        return []
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return [part for part in re.split(r"[\s,]+", text) if part]


def principal_from_event(event: Mapping[str, Any]) -> Principal:
    """The caller of an API Gateway event (HTTP API JWT or REST Cognito authorizer)."""
    context = event.get("requestContext")
    authorizer = context.get("authorizer") if isinstance(context, Mapping) else None
    if not isinstance(authorizer, Mapping):
        raise Unauthenticated("the request carries no verified token")
    jwt = authorizer.get("jwt")
    if isinstance(jwt, Mapping):
        claims, scopes = jwt.get("claims"), jwt.get("scopes")
    else:
        claims, scopes = authorizer.get("claims"), None
    if not isinstance(claims, Mapping):
        raise Unauthenticated("the request carries no token claims")
    return principal_from_claims(claims, scopes)


def principal_from_claims(claims: Mapping[str, Any], scopes: Any = None) -> Principal:
    sub = claims.get("sub")
    if not isinstance(sub, str) or not USER_ID.fullmatch(sub):  # $ allows a final \n
        raise Unauthenticated("the token has no usable subject")
    roles = {*split_claim(claims.get("roles")), *split_claim(claims.get("cognito:groups"))}
    org = claims.get("org")
    granted = split_claim(scopes) if scopes is not None else split_claim(claims.get("scope"))
    return Principal(
        user_id=sub,
        roles=frozenset(roles & ROLES),
        organization=org if isinstance(org, str) and ORGANIZATION.fullmatch(org) else None,
        scopes=frozenset(granted),
    )
