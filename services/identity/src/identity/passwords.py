"""Password hashes: argon2id (RFC 9106), through argon2-cffi.

Only the PHC string (``$argon2id$v=19$m=...,t=...,p=...$salt$hash``) is ever stored;
the parameters travel inside it, so stronger ones apply to old accounts at their next
sign-in (``needs_rehash``).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        # argon2-cffi's defaults are RFC 9106's "low memory" profile: argon2id,
        # t=3, m=64 MiB, p=4.
        self._hasher = hasher or PasswordHasher()
        self._dummy: str | None = None

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)

    def waste_time(self, password: str) -> None:
        """Verify against a throwaway hash, so an unknown username costs what a known one
        does and response times do not tell which usernames exist."""
        if self._dummy is None:
            self._dummy = self._hasher.hash("not a real password, never matches")
        self.verify(self._dummy, password)
