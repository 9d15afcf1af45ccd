"""Signing keys: a ring of three ES256 keys, and JWTs signed and checked with them.

The ring is what identity keeps in Secrets Manager (JSON)::

    {"current": {...}, "next": {...}, "previous": {...} | null, "rotated_at": 1700000000}

``current`` signs; the JWKS publishes all three. ``next`` is published a whole
rotation before it signs anything, so every verifier that caches the JWKS (API
Gateway's JWT authorizers do) already holds it when it starts signing; ``previous``
stays published after it stops signing, so tokens it signed keep working until they
expire. A rotation drops ``previous``, so it is refused until every token that key
may have signed has expired. Pure: computation only, no I/O.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from identity.domain import InvalidGrant, RotationTooSoon

ALG = "ES256"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str = field(repr=False)
    created_at: int

    @cached_property
    def private_key(self) -> ec.EllipticCurvePrivateKey:
        key = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"key {self.kid} is not an EC key")
        return key

    def public_jwk(self) -> dict[str, Any]:
        jwk = public_jwk(self.private_key.public_key())
        return {**jwk, "kid": self.kid, "alg": ALG, "use": "sig"}

    def to_json(self) -> dict[str, Any]:
        return {"kid": self.kid, "private_key": self.private_pem, "created_at": self.created_at}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> SigningKey:
        return cls(str(value["kid"]), str(value["private_key"]), int(value["created_at"]))


def public_jwk(public: ec.EllipticCurvePublicKey) -> dict[str, str]:
    jwk = ECAlgorithm.to_jwk(public, as_dict=True)
    return {k: str(jwk[k]) for k in ("kty", "crv", "x", "y")}


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 of the required members, sorted, no whitespace."""
    canonical = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_key(now: float) -> SigningKey:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return SigningKey(thumbprint(public_jwk(private.public_key())), pem, int(now))


@dataclass(frozen=True)
class KeyRing:
    current: SigningKey
    next: SigningKey
    previous: SigningKey | None
    rotated_at: int

    @classmethod
    def bootstrap(cls, now: float) -> KeyRing:
        return cls(new_key(now), new_key(now), None, int(now))

    @property
    def published(self) -> tuple[SigningKey, ...]:
        keys = (self.current, self.next, self.previous)
        return tuple(k for k in keys if k is not None)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.published]}

    def rotate(self, now: float, min_interval_s: int) -> KeyRing:
        """``next`` starts signing, ``current`` retires, ``previous`` is dropped.

        ``min_interval_s`` is the longest a token lives (plus how long a signer may keep
        using a cached ring): sooner, a token ``previous`` signed could still be valid.
        """
        wait = self.rotated_at + min_interval_s - int(now)
        if self.previous is not None and wait > 0:
            raise RotationTooSoon(
                f"the previous key may still have signed valid tokens; rotate again in {wait} s",
                retry_after=wait,
            )
        return KeyRing(self.next, new_key(now), self.current, int(now))

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current.to_json(),
                "next": self.next.to_json(),
                "previous": self.previous.to_json() if self.previous else None,
                "rotated_at": self.rotated_at,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> KeyRing | None:
        """The ring in a secret's value; None for a secret that holds no keys yet."""
        value = json.loads(text) if text.strip() else {}
        if not isinstance(value, dict) or not value.get("current"):
            return None
        previous = value.get("previous")
        return cls(
            SigningKey.from_json(value["current"]),
            SigningKey.from_json(value["next"]),
            SigningKey.from_json(previous) if previous else None,
            int(value["rotated_at"]),
        )

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(
            claims, self.current.private_key, algorithm=ALG, headers={"kid": self.current.kid}
        )

    def verify(self, token: str, issuer: str, audience: str, now: float) -> dict[str, Any]:
        """The claims of a token this ring signed, for ``audience``; InvalidGrant if not."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = next((k for k in self.published if k.kid == kid), None)
            if key is None:
                raise InvalidGrant("the token was not signed by this issuer")
            claims: dict[str, Any] = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=[ALG],
                audience=audience,
                issuer=issuer,
                # Times are checked below against the injected clock, not the wall clock.
                options={
                    "require": ["exp", "iat", "iss", "aud", "sub"],
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise InvalidGrant(f"the token is not valid: {exc}") from None
        if claims["iat"] > now + 5 or claims["exp"] <= now:
            raise InvalidGrant("the token is not valid now")
        return claims
