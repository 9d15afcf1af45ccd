"""Accounts, sessions and grants: the rules, with no AWS and no I/O.

Refresh tokens are opaque (``<token id>.<secret>``); only a hash of the secret is
stored. Each sign-in starts a *family*; every refresh retires the presented token
(status ``rotated``) and issues the next one in the same family. Presenting a retired
token again means it was copied: the whole family is revoked (RFC 6819 5.2.2.3,
"refresh token rotation"), which signs out the thief and the user alike.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Literal

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 256  # argon2 hashes any length; a cap keeps a request from costing more
USER_SCOPE = "profiles:write locations:write"
ADMIN_SCOPE = "identity:admin"
# Roles an operator grants (never the user): what each lets the user's tokens do at the
# patients API. A scope names its API's audience before the colon (patients:read).
ROLE_SCOPES: dict[str, tuple[str, ...]] = {
    "clinician": ("patients:read", "patients:write"),
    "patient": ("patients:read",),
    "admin": ("patients:audit", "patients:read"),
}
ORGANIZATION = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

TokenStatus = Literal["active", "rotated"]


class IdentityError(Exception):
    """A refused request: ``status`` and an OAuth-style ``code``; ``str()`` says why."""

    status = 400
    code = "invalid_request"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidRequest(IdentityError):
    pass


class UnsupportedGrantType(IdentityError):
    """RFC 6749 5.2: a grant_type this endpoint does not issue (missing is invalid_request)."""

    code = "unsupported_grant_type"


class UsernameTaken(IdentityError):
    status, code = 409, "username_taken"


class InvalidGrant(IdentityError):
    """Wrong credentials, or a refresh token that is unknown, retired or revoked."""

    status, code = 401, "invalid_grant"


class InvalidClient(IdentityError):
    status, code = 401, "invalid_client"


class InvalidScope(IdentityError):
    status, code = 400, "invalid_scope"


class InsufficientScope(IdentityError):
    status, code = 403, "insufficient_scope"


class UserNotFound(IdentityError):
    status, code = 404, "user_not_found"


class TooManyAttempts(IdentityError):
    status, code = 429, "too_many_attempts"


class RotationTooSoon(IdentityError):
    status, code = 409, "rotation_too_soon"


# -- accounts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = ""

    def __repr__(self) -> str:  # never let a password reach a log line through repr()
        return f"Credentials(username={self.username!r}, password='***')"


@dataclass(frozen=True)
class User:
    user_id: str
    username: str
    password_hash: str
    created_at: int


def parse_credentials(body: Any, *, new_account: bool) -> Credentials:
    """``{"username", "password"}``; a new account's password must meet the policy."""
    if not isinstance(body, dict) or set(body) - {"username", "password"}:
        raise InvalidRequest("the body must be an object with username and password")
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidRequest("username and password are required strings")
    username = username.strip().lower()
    if not USERNAME.match(username):
        if new_account:
            raise InvalidRequest(
                "username must be 3-32 characters: a-z, 0-9, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        raise InvalidGrant("invalid username or password")
    if len(password) > MAX_PASSWORD:
        raise InvalidRequest(f"password must be at most {MAX_PASSWORD} characters")
    if new_account:
        check_password_policy(username, password)
    elif not password:
        raise InvalidGrant("invalid username or password")
    return Credentials(username, password)


def check_password_policy(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"password must be at least {MIN_PASSWORD} characters")
    if password.strip() != password:
        raise InvalidRequest("password must not start or end with whitespace")
    if username in password.lower():
        raise InvalidRequest("password must not contain the username")
    if len(set(password)) < 4:
        raise InvalidRequest("password must use at least 4 different characters")


def new_user_id() -> str:
    return uuid.uuid4().hex


def username_from_path(value: Any) -> str:
    """A username in a URL path, as sign-up normalized it."""
    username = value.strip().lower() if isinstance(value, str) else ""
    if not USERNAME.match(username):
        raise InvalidRequest("the path does not name a valid username")
    return username


# -- grants: roles and organization, set by an operator ----------------------------


@dataclass(frozen=True)
class Grants:
    """What an operator granted a user: roles (a subset of ROLE_SCOPES) and the
    organization a clinician or admin works for. A user who signed up has none."""

    roles: tuple[str, ...] = ()
    org: str | None = None
    updated_at: int = 0
    updated_by: str = ""

    @property
    def scopes(self) -> tuple[str, ...]:
        implied = {scope for role in self.roles for scope in ROLE_SCOPES[role]}
        return tuple(sorted(implied))

    def to_json(self, user: User) -> dict[str, Any]:
        return {
            "user_id": user.user_id,
            "username": user.username,
            "roles": list(self.roles),
            "org": self.org,
            "scope": " ".join(self.scopes),
            "updated_at": self.updated_at,
        }


NO_GRANTS = Grants()


def parse_grants(body: Any, now: float, by: str) -> Grants:
    """``{"roles": [...], "org": "..." | null}``: the whole grant, replacing the last.

    ``roles: []`` takes every role away. Clinicians and admins act for an organization,
    so granting either needs ``org``; a patient's access follows their own user id.
    """
    if not isinstance(body, dict) or set(body) - {"roles", "org"} or "roles" not in body:
        raise InvalidRequest("the body must be an object with roles and, optionally, org")
    roles, org = body["roles"], body.get("org")
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        raise InvalidRequest("roles must be a list of strings")
    unknown = sorted(set(roles) - set(ROLE_SCOPES))
    if unknown:
        raise InvalidRequest(
            f"unknown roles: {' '.join(unknown)}; roles are {', '.join(ROLE_SCOPES)}"
        )
    if org is not None and (not isinstance(org, str) or not ORGANIZATION.match(org)):
        raise InvalidRequest("org must be 1-64 characters: A-Z, a-z, 0-9, '.', '_', ':' or '-'")
    if org is None and {"clinician", "admin"} & set(roles):
        raise InvalidRequest("clinicians and admins need an org")
    ordered = tuple(r for r in ROLE_SCOPES if r in roles)  # canonical order, no repeats
    return Grants(ordered, org, int(now), by)


# -- refresh tokens --------------------------------------------------------------------


@dataclass(frozen=True)
class RefreshToken:
    token_id: str
    family_id: str
    user_id: str
    secret_hash: str
    status: TokenStatus
    expires_at: int


@dataclass(frozen=True)
class Family:
    family_id: str
    user_id: str
    revoked: bool
    expires_at: int


def hash_secret(secret: str) -> str:
    # The secret is 256 random bits: a fast hash is enough, unlike for passwords.
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_refresh_token(
    user_id: str, family_id: str, now: float, ttl_s: int
) -> tuple[str, RefreshToken]:
    """A new token (the string handed out) and the record to store."""
    token_id = secrets.token_urlsafe(12)
    secret = secrets.token_urlsafe(32)
    record = RefreshToken(
        token_id=token_id,
        family_id=family_id,
        user_id=user_id,
        secret_hash=hash_secret(secret),
        status="active",
        expires_at=int(now) + ttl_s,
    )
    return f"{token_id}.{secret}", record


def new_family(user_id: str, now: float, ttl_s: int) -> Family:
    return Family(uuid.uuid4().hex, user_id, revoked=False, expires_at=int(now) + ttl_s)


def split_refresh_token(raw: Any) -> tuple[str, str]:
    if not isinstance(raw, str) or raw.count(".") != 1 or len(raw) > 200:
        raise InvalidGrant("the refresh token is not valid")
    token_id, secret = raw.split(".")
    if not token_id or not secret:
        raise InvalidGrant("the refresh token is not valid")
    return token_id, secret


def secret_matches(record: RefreshToken, secret: str) -> bool:
    return hmac.compare_digest(record.secret_hash, hash_secret(secret))


RefreshVerdict = Literal["rotate", "reuse", "invalid"]


def judge_refresh(
    record: RefreshToken | None, family: Family | None, secret: str, now: float
) -> RefreshVerdict:
    """What to do with a presented refresh token: rotate it, punish reuse, or refuse."""
    if record is None or not secret_matches(record, secret):
        return "invalid"  # unknown, or a forged secret for a known id: no side effects
    if family is None or family.revoked or now >= family.expires_at:
        return "invalid"
    if record.status == "rotated":
        return "reuse"
    if now >= record.expires_at:
        return "invalid"
    return "rotate"


def refresh_token_from(body: Any) -> str:
    if not isinstance(body, dict) or set(body) != {"refresh_token"}:
        raise InvalidRequest("the body must be an object with refresh_token")
    token = body["refresh_token"]
    if not isinstance(token, str):
        raise InvalidRequest("refresh_token must be a string")
    return token


# -- rate limits -------------------------------------------------------------------


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` events per fixed window of ``window_s`` seconds."""

    limit: int
    window_s: int

    def window(self, now: float) -> int:
        return int(now) // self.window_s * self.window_s

    def expires_at(self, now: float) -> int:
        return self.window(now) + self.window_s

    def retry_after(self, now: float) -> int:
        return max(1, self.expires_at(now) - int(now))

    def exceeded(self, count: int) -> bool:
        return count > self.limit


def rate_key(kind: str, subject: str, window: int) -> str:
    return f"RATE#{kind}#{subject}#{window}"


# -- tokens and grants ----------------------------------------------------------------


def user_scope(grants: Grants = NO_GRANTS) -> str:
    return " ".join((*USER_SCOPE.split(), *grants.scopes))


def access_claims(
    user_id: str,
    issuer: str,
    audiences: tuple[str, ...],
    now: float,
    ttl_s: int,
    grants: Grants = NO_GRANTS,
) -> dict[str, Any]:
    """A user's access token: good for ``audiences`` and, with granted roles, for the
    APIs their scopes name (``patients``), carrying ``roles`` and ``org``."""
    iat = int(now)
    extra = [a for a in audiences_for(grants.scopes) if a not in audiences]
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": user_id,
        "aud": [*audiences, *extra],
        "iat": iat,
        "exp": iat + ttl_s,
        "jti": uuid.uuid4().hex,
        "scope": user_scope(grants),
        "token_use": "access",
    }
    if grants.roles:
        claims["roles"] = list(grants.roles)
    if grants.org is not None:
        claims["org"] = grants.org
    return claims


def service_claims(
    client_id: str, scopes: tuple[str, ...], issuer: str, now: float, ttl_s: int
) -> dict[str, Any]:
    iat = int(now)
    return {
        "iss": issuer,
        "sub": client_id,
        "client_id": client_id,
        "aud": audiences_for(scopes),
        "iat": iat,
        "exp": iat + ttl_s,
        "jti": uuid.uuid4().hex,
        "scope": " ".join(scopes),
        "token_use": "service",
    }


def audiences_for(scopes: tuple[str, ...]) -> list[str]:
    """``locations:read`` is for the API whose audience is ``locations``."""
    return sorted({scope.split(":", 1)[0] for scope in scopes})


def grant_scopes(requested: str | None, allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The scopes a client gets: all it may have, or the ones it asked for."""
    if requested is None or not requested.strip():
        return allowed
    wanted = tuple(dict.fromkeys(requested.split()))
    refused = [s for s in wanted if s not in allowed]
    if refused:
        raise InvalidScope(f"this client may not have: {' '.join(refused)}")
    return wanted


@dataclass(frozen=True)
class Client:
    """A service that obtains tokens with its own id and secret (client credentials)."""

    client_id: str
    secret: str
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"Client(client_id={self.client_id!r}, scopes={self.scopes!r})"

    def authenticates(self, presented: str) -> bool:
        return hmac.compare_digest(self.secret.encode(), presented.encode())


def client_from_secret(value: Any) -> Client:
    """A client registration as kept in Secrets Manager (JSON)."""
    if not isinstance(value, dict):
        raise ValueError("a client secret must be a JSON object")
    client_id, secret, scope = (
        value.get("client_id"),
        value.get("client_secret"),
        value.get("scope"),
    )
    if not all(isinstance(v, str) and v for v in (client_id, secret, scope)):
        raise ValueError("a client secret needs client_id, client_secret and scope")
    assert isinstance(client_id, str) and isinstance(secret, str) and isinstance(scope, str)
    return Client(client_id, secret, tuple(scope.split()))


def client_credentials(
    form: dict[str, str], authorization: str | None
) -> tuple[str, str, str | None]:
    """(client id, client secret, requested scope) from HTTP Basic or the form body.

    RFC 6749 2.3.1: a client authenticates one way, not both.
    """
    grant_type = form.get("grant_type")
    if not grant_type:
        raise InvalidRequest("grant_type is required: client_credentials")
    if grant_type != "client_credentials":
        raise UnsupportedGrantType(
            f"grant_type {grant_type} is not issued here: POST /token takes client_credentials "
            "(users sign in with POST /signin and refresh with POST /token/refresh)"
        )
    scope = form.get("scope")
    basic = _basic(authorization)
    in_body = "client_id" in form or "client_secret" in form
    if basic is not None and in_body:
        raise InvalidRequest("authenticate with HTTP Basic or in the body, not both")
    if basic is not None:
        return basic[0], basic[1], scope
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if not client_id or not secret:
        raise InvalidClient("client authentication failed")
    return client_id, secret, scope


def _basic(authorization: str | None) -> tuple[str, str] | None:
    if not authorization or authorization[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        raise InvalidClient("client authentication failed") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClient("client authentication failed")
    return client_id, secret


def bearer(authorization: str | None) -> str:
    if not authorization or authorization[:7].lower() != "bearer ":
        raise InvalidGrant("a bearer token is required")
    return authorization[7:].strip()


def require_scope(claims: dict[str, Any], scope: str) -> None:
    if scope not in str(claims.get("scope", "")).split():
        raise InsufficientScope(f"the token does not have the {scope} scope")
