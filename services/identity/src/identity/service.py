"""identity's use cases, wired to a store, a key vault and a client directory.

Everything here is plain Python over the small interfaces of store.py and vault.py:
the handlers pass in the AWS adapters, the unit tests pass in fakes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from identity.domain import (
    ADMIN_SCOPE,
    ROLE_SCOPES,
    USER_SCOPE,
    Family,
    InvalidClient,
    InvalidGrant,
    RateLimit,
    TooManyAttempts,
    User,
    UsernameTaken,
    UserNotFound,
    access_claims,
    bearer,
    client_credentials,
    grant_scopes,
    issue_refresh_token,
    judge_refresh,
    new_family,
    new_user_id,
    parse_credentials,
    parse_grants,
    rate_key,
    refresh_token_from,
    require_scope,
    secret_matches,
    service_claims,
    split_refresh_token,
    username_from_path,
)
from identity.keys import KeyRing
from identity.passwords import Passwords
from identity.store import IdentityStore
from identity.vault import ClientDirectory, KeyVault

log = logging.getLogger("identity")
Clock = Callable[[], float]


@dataclass(frozen=True)
class Settings:
    issuer: str
    audiences: tuple[str, ...] = ("locations", "profiles")
    access_ttl_s: int = 900
    service_ttl_s: int = 900
    refresh_ttl_s: int = 30 * 24 * 3600
    # every sign-in attempt from one source address, per minute
    ip_limit: RateLimit = field(default_factory=lambda: RateLimit(30, 60))
    # failed sign-ins of one user from one source address, per 15 minutes: a stranger
    # guessing a user's password locks out their own address, not the user
    user_limit: RateLimit = field(default_factory=lambda: RateLimit(5, 900))
    # failed sign-ins of one user from all addresses together, per hour: slower, it
    # bounds a guess spread over many addresses
    user_global_limit: RateLimit = field(default_factory=lambda: RateLimit(50, 3600))
    # every client-credentials token request from one source address, per minute
    token_limit: RateLimit = field(default_factory=lambda: RateLimit(60, 60))
    key_cache_s: int = 300

    @property
    def rotation_interval_s(self) -> int:
        """How long the retiring key must stay published after it last signed."""
        return max(self.access_ttl_s, self.service_ttl_s) + self.key_cache_s


class SigningKeys:
    """The key ring, cached in a warm environment and made on first use."""

    def __init__(self, vault: KeyVault, clock: Clock = time.time, cache_s: float = 300) -> None:
        self.vault = vault
        self.clock = clock
        self.cache_s = cache_s
        self._ring: KeyRing | None = None
        self._read_at = 0.0

    def ring(self) -> KeyRing:
        now = self.clock()
        if self._ring is None or now - self._read_at >= self.cache_s:
            self._ring = self.fresh()
            self._read_at = now
        return self._ring

    def fresh(self) -> KeyRing:
        ring, _ = self._read_or_bootstrap()
        return ring

    def rotate(self, min_interval_s: int) -> KeyRing:
        ring, version = self._read_or_bootstrap()
        rotated = ring.rotate(self.clock(), min_interval_s)
        if self.vault.write(rotated, version) is None:
            # Another rotation from the same ring won the race: that one stands.
            won, _ = self.vault.read()
            if won is None:
                raise RuntimeError("the signing key ring disappeared during a rotation")
            rotated = won
        self._ring, self._read_at = rotated, self.clock()
        return rotated

    def _read_or_bootstrap(self) -> tuple[KeyRing, str | None]:
        ring, version = self.vault.read()
        if ring is not None:
            return ring, version
        fresh = KeyRing.bootstrap(self.clock())
        version = self.vault.write(fresh, None)
        if version is not None:
            log.info("signing keys created", extra={"kids": [k.kid for k in fresh.published]})
            return fresh, version
        ring, version = self.vault.read()  # another environment bootstrapped first
        if ring is None:
            raise RuntimeError("the signing key ring cannot be read")
        return ring, version


class IdentityService:
    def __init__(
        self,
        settings: Settings,
        store: IdentityStore,
        keys: SigningKeys,
        clients: ClientDirectory,
        passwords: Passwords,
        clock: Clock = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.keys = keys
        self.clients = clients
        self.passwords = passwords
        self.clock = clock

    # -- accounts --------------------------------------------------------------------

    def signup(self, body: Any) -> dict[str, Any]:
        credentials = parse_credentials(body, new_account=True)
        user = User(
            user_id=new_user_id(),
            username=credentials.username,
            password_hash=self.passwords.hash(credentials.password),
            created_at=int(self.clock()),
        )
        if not self.store.create_user(user):
            raise UsernameTaken(f"the username {user.username} is taken")
        log.info("user signed up", extra={"user_id": user.user_id})
        return {"user_id": user.user_id, "username": user.username}

    def _limit(self, limit: RateLimit, kind: str, subject: str, now: float, refusal: str) -> None:
        """Count one request against ``limit``; refuse it past the limit."""
        hits = self.store.count(rate_key(kind, subject, limit.window(now)), limit.expires_at(now))
        if limit.exceeded(hits):
            raise TooManyAttempts(refusal, retry_after=limit.retry_after(now))

    def signin(self, body: Any, source_ip: str) -> dict[str, Any]:
        now = self.clock()
        self._limit(
            self.settings.ip_limit,
            "signin-ip",
            source_ip,
            now,
            "too many sign-in attempts from this address; try again later",
        )
        credentials = parse_credentials(body, new_account=False)
        # Failures are counted per user *and* address, so a stranger's wrong guesses lock
        # out only the stranger's address; a slower per-user limit over all addresses
        # bounds a guess spread across many.
        per_source, overall = self.settings.user_limit, self.settings.user_global_limit
        source_key = rate_key(
            "signin-user", f"{credentials.username}#{source_ip}", per_source.window(now)
        )
        global_key = rate_key("signin-user-all", credentials.username, overall.window(now))
        failures = self.store.peek(source_key, int(now))
        for limit, count in (
            (per_source, failures),
            (overall, self.store.peek(global_key, int(now))),
        ):
            if count >= limit.limit:
                raise TooManyAttempts(
                    "too many failed sign-ins for this user; try again later",
                    retry_after=limit.retry_after(now),
                )
        user = self.store.get_user(credentials.username)
        if user is None:
            self.passwords.waste_time(credentials.password)
        if user is None or not self.passwords.verify(user.password_hash, credentials.password):
            self.store.count(source_key, per_source.expires_at(now))
            self.store.count(global_key, overall.expires_at(now))
            log.info("sign-in refused", extra={"failures": failures + 1})
            raise InvalidGrant("invalid username or password")
        if failures:
            self.store.reset(source_key)
        if self.passwords.needs_rehash(user.password_hash):
            self.store.set_password_hash(user.username, self.passwords.hash(credentials.password))
        family = new_family(user.user_id, now, self.settings.refresh_ttl_s)
        refresh, record = issue_refresh_token(
            user.user_id, family.family_id, now, self.settings.refresh_ttl_s
        )
        self.store.start_family(family, record)
        log.info("user signed in", extra={"user_id": user.user_id})
        return self._session(user.user_id, refresh, now)

    # -- sessions --------------------------------------------------------------------

    def refresh(self, body: Any) -> dict[str, Any]:
        token_id, secret = split_refresh_token(refresh_token_from(body))
        now = self.clock()
        record = self.store.get_refresh(token_id)
        family = self.store.get_family(record.family_id) if record else None
        verdict = judge_refresh(record, family, secret, now)
        if verdict == "invalid" or record is None or family is None:
            raise InvalidGrant("the refresh token is not valid")
        if verdict == "reuse":
            self._revoke_on_reuse(family)
        refresh, new = issue_refresh_token(
            record.user_id, family.family_id, now, family.expires_at - int(now)
        )
        if not self.store.rotate(record, new):
            self._revoke_on_reuse(family)  # rotated by a concurrent request with the same token
        return self._session(record.user_id, refresh, now)

    def _revoke_on_reuse(self, family: Family) -> None:
        self.store.revoke_family(family.family_id)
        log.warning(
            "a rotated refresh token was used again: session revoked",
            extra={"user_id": family.user_id, "family_id": family.family_id},
        )
        raise InvalidGrant("the refresh token was already used; the session is revoked")

    def signout(self, body: Any) -> None:
        """Revoke the session of this refresh token; unknown tokens are ignored (RFC 7009)."""
        try:
            token_id, secret = split_refresh_token(refresh_token_from(body))
        except InvalidGrant:
            return
        record = self.store.get_refresh(token_id)
        if record is None or not secret_matches(record, secret):
            return  # a token id without its secret must not sign anyone out
        family = self.store.get_family(record.family_id)
        if family is not None and not family.revoked:
            self.store.revoke_family(family.family_id)
            log.info("user signed out", extra={"user_id": record.user_id})

    def _session(self, user_id: str, refresh: str, now: float) -> dict[str, Any]:
        # Grants are read at every sign-in and refresh: a change (or a revocation)
        # reaches the user's tokens within one access token's lifetime.
        settings = self.settings
        claims = access_claims(
            user_id,
            settings.issuer,
            settings.audiences,
            now,
            settings.access_ttl_s,
            self.store.get_grants(user_id),
        )
        return {
            "access_token": self.keys.ring().sign(claims),
            "token_type": "Bearer",
            "expires_in": settings.access_ttl_s,
            "refresh_token": refresh,
            "scope": claims["scope"],
            "user_id": user_id,
        }

    # -- grants (operators only) -------------------------------------------------------

    def _admin(self, authorization: str | None) -> dict[str, Any]:
        """The claims of an identity:admin token (the AdminClient's client credentials)."""
        token = bearer(authorization)
        claims = self.keys.fresh().verify(token, self.settings.issuer, "identity", self.clock())
        require_scope(claims, ADMIN_SCOPE)
        return claims

    def _user(self, username: Any) -> User:
        user = self.store.get_user(username_from_path(username))
        if user is None:
            raise UserNotFound("no such user")
        return user

    def get_grants(self, username: Any, authorization: str | None) -> dict[str, Any]:
        self._admin(authorization)
        user = self._user(username)
        return self.store.get_grants(user.user_id).to_json(user)

    def set_grants(self, username: Any, body: Any, authorization: str | None) -> dict[str, Any]:
        """Replace a user's roles and organization; users never assign their own."""
        claims = self._admin(authorization)
        user = self._user(username)
        grants = parse_grants(body, self.clock(), str(claims["sub"]))
        self.store.put_grants(user.user_id, grants)
        log.info(
            "grants set",
            extra={"user_id": user.user_id, "roles": list(grants.roles), "by": claims["sub"]},
        )
        return grants.to_json(user)

    # -- services --------------------------------------------------------------------

    def service_token(
        self, form: dict[str, str], authorization: str | None, source_ip: str
    ) -> dict[str, Any]:
        self._limit(
            self.settings.token_limit,
            "token-ip",
            source_ip,
            self.clock(),
            "too many token requests from this address; try again later",
        )
        client_id, secret, requested = client_credentials(form, authorization)
        client = self.clients.find(client_id)
        if client is None or not client.authenticates(secret):
            raise InvalidClient("client authentication failed")
        scopes = grant_scopes(requested, client.scopes)
        ttl = self.settings.service_ttl_s
        claims = service_claims(client.client_id, scopes, self.settings.issuer, self.clock(), ttl)
        log.info("service token issued", extra={"client_id": client_id, "scope": claims["scope"]})
        return {
            "access_token": self.keys.ring().sign(claims),
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": claims["scope"],
        }

    # -- keys ------------------------------------------------------------------------

    def rotate_keys(self, authorization: str | None) -> dict[str, Any]:
        claims = self._admin(authorization)
        ring = self.keys.rotate(self.settings.rotation_interval_s)
        log.info("signing keys rotated", extra={"by": claims["sub"], "kid": ring.current.kid})
        return {
            "current": ring.current.kid,
            "next": ring.next.kid,
            "previous": ring.previous.kid if ring.previous else None,
            "rotated_at": ring.rotated_at,
        }

    def jwks(self) -> dict[str, Any]:
        # Read fresh: verifiers fetch it rarely and must see a rotation at once.
        return self.keys.fresh().jwks()

    def discovery(self) -> dict[str, Any]:
        issuer = self.settings.issuer
        return {
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "token_endpoint": f"{issuer}/token",
            "grant_types_supported": ["password", "refresh_token", "client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": ["token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "scopes_supported": sorted(
                {
                    *USER_SCOPE.split(),
                    "locations:read",
                    ADMIN_SCOPE,
                    *(scope for scopes in ROLE_SCOPES.values() for scope in scopes),
                }
            ),
        }
