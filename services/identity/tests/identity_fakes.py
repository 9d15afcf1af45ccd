"""In-memory stand-ins for identity's table, key vault and client directory."""

from __future__ import annotations

import dataclasses
import itertools

from identity.domain import NO_GRANTS, Client, Family, Grants, RefreshToken, User
from identity.keys import KeyRing
from identity.vault import next_version_token


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MemoryStore:
    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.counters: dict[str, tuple[int, int]] = {}
        self.tokens: dict[str, RefreshToken] = {}
        self.families: dict[str, Family] = {}
        self.grants: dict[str, Grants] = {}

    def create_user(self, user: User) -> bool:
        if user.username in self.users:
            return False
        self.users[user.username] = user
        return True

    def get_user(self, username: str) -> User | None:
        return self.users.get(username)

    def set_password_hash(self, username: str, password_hash: str) -> None:
        self.users[username] = dataclasses.replace(
            self.users[username], password_hash=password_hash
        )

    def get_grants(self, user_id: str) -> Grants:
        return self.grants.get(user_id, NO_GRANTS)

    def put_grants(self, user_id: str, grants: Grants) -> None:
        self.grants[user_id] = grants

    def count(self, key: str, expires_at: int) -> int:
        hits, expiry = self.counters.get(key, (0, expires_at))
        self.counters[key] = (hits + 1, expiry)
        return hits + 1

    def peek(self, key: str, now: int) -> int:
        hits, expiry = self.counters.get(key, (0, 0))
        return hits if expiry > now else 0

    def reset(self, key: str) -> None:
        self.counters.pop(key, None)

    def start_family(self, family: Family, first: RefreshToken) -> None:
        self.families[family.family_id] = family
        self.tokens[first.token_id] = first

    def get_refresh(self, token_id: str) -> RefreshToken | None:
        return self.tokens.get(token_id)

    def get_family(self, family_id: str) -> Family | None:
        return self.families.get(family_id)

    def rotate(self, old: RefreshToken, new: RefreshToken) -> bool:
        current = self.tokens[old.token_id]
        if current.status != "active" or self.families[old.family_id].revoked:
            return False
        self.tokens[old.token_id] = dataclasses.replace(current, status="rotated")
        self.tokens[new.token_id] = new
        return True

    def revoke_family(self, family_id: str) -> None:
        self.families[family_id] = dataclasses.replace(self.families[family_id], revoked=True)


class MemoryVault:
    """Versions keyed like Secrets Manager's ClientRequestToken: a token is used once."""

    def __init__(self) -> None:
        self.versions: dict[str, str] = {}
        self.current: str | None = None
        self._ids = itertools.count(1)
        self.writes = 0

    def read(self) -> tuple[KeyRing | None, str | None]:
        if self.current is None:
            return None, None
        return KeyRing.from_json(self.versions[self.current]), self.current

    def write(self, ring: KeyRing, replacing: str | None) -> str | None:
        token = next_version_token(replacing)
        if token in self.versions:
            return None
        self.writes += 1
        self.versions[token] = ring.to_json()
        self.current = token
        return token


class Clients:
    def __init__(self, *clients: Client) -> None:
        self.clients = {c.client_id: c for c in clients}

    def find(self, client_id: str) -> Client | None:
        return self.clients.get(client_id)
