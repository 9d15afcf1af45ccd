"""JWT verification against an issuer's JWKS, with the defences RFC 8725 asks for.

- Only asymmetric algorithms are accepted (RS256/384/512, ES256/384/512): ``none``
  and every HMAC algorithm are refused before any key is looked at, so a token
  "signed" with the issuer's public key bytes as an HMAC secret goes nowhere.
- The key is chosen by ``kid`` (required, as AWS requires it) and must fit the
  token's algorithm: an RSA key for RS*, an EC key on the matching curve for ES*, the
  key's own ``alg`` (when it states one) equal to the token's, ``use`` (when stated)
  ``sig``. Symmetric keys in a JWKS are never used.
- The signature is checked by PyJWT with exactly one allowed algorithm; the time
  claims are checked here against the injected clock, without leeway: ``exp`` must
  be after now, ``nbf`` and ``iat`` (when present) not after now.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

# alg -> (kty, crv) the key must have
ALGORITHMS: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "RS512": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
    "ES512": ("EC", "P-521"),
}

KeyLookup = Callable[[str], Awaitable[Mapping[str, Any] | None]]


class TokenError(Exception):
    """A token that must be refused; ``str()`` is the reason, worded as AWS words it."""


def unverified_header(token: str) -> dict[str, Any]:
    import jwt  # PyJWT and cryptography: when a token is first checked, not at every start

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise TokenError("the token is malformed") from exc
    return dict(header)


def unverified_claims(token: str) -> dict[str, Any]:
    """The payload, unchecked: only for choosing which issuer's keys to check it with."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenError("the token is malformed")
    payload = parts[1]
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        claims = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise TokenError("the token is malformed") from exc
    if not isinstance(claims, dict):
        raise TokenError("the token is malformed")
    return claims


@functools.lru_cache(maxsize=256)
def _public_key(jwk_items: tuple[tuple[str, str], ...], alg: str) -> Any:
    # Building a key object from a JWK costs more than checking an ES256 signature
    # with it: keep the last few hundred (a JWKS rotation brings new items, new keys).
    import jwt

    return jwt.PyJWK(dict(jwk_items), algorithm=alg).key


def _key(jwk: Mapping[str, Any], alg: str) -> Any:
    import jwt

    items = tuple(sorted((k, v) for k, v in jwk.items() if isinstance(v, str)))
    if len(items) != len(jwk):  # key_ops lists and the like: not cacheable as they are
        return jwt.PyJWK(dict(jwk), algorithm=alg).key
    return _public_key(items, alg)


def _key_fits(jwk: Mapping[str, Any], alg: str) -> bool:
    kty, crv = ALGORITHMS[alg]
    if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
        return False
    if "alg" in jwk and jwk["alg"] != alg:
        return False
    if "use" in jwk and jwk["use"] != "sig":
        return False
    ops = jwk.get("key_ops")
    return ops is None or (isinstance(ops, list) and "verify" in ops)


async def verify(token: str, key_for: KeyLookup, now: float) -> dict[str, Any]:
    """The token's claims once its signature and time claims hold; TokenError otherwise."""
    import jwt
    from jwt.api_jws import PyJWS

    header = unverified_header(token)
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise TokenError(f"signing method {alg} is invalid")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError("the token has no kid")
    jwk = await key_for(kid)
    if jwk is None:
        raise TokenError(f"no signing key with kid {kid}")
    if not _key_fits(jwk, alg):
        raise TokenError(f"signing method {alg} does not match the key {kid}")
    try:
        key = _key(jwk, alg)
        signed = PyJWS().decode_complete(token, key=key, algorithms=[alg])
        claims = json.loads(signed["payload"])
    except (jwt.PyJWTError, ValueError) as exc:
        raise TokenError("the token signature is invalid") from exc
    if not isinstance(claims, dict):
        raise TokenError("the token is malformed")
    check_times(claims, now)
    return claims


def _number(claims: Mapping[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenError(f"the token's {name} is not a number")
    return float(value)


def check_times(claims: Mapping[str, Any], now: float) -> None:
    exp = _number(claims, "exp")
    if exp is None:
        raise TokenError("the token has no expiry")
    if now >= exp:
        raise TokenError("the token has expired")
    nbf = _number(claims, "nbf")
    if nbf is not None and nbf > now:
        raise TokenError("the token is not valid yet")
    iat = _number(claims, "iat")
    if iat is not None and iat > now:
        raise TokenError("the token was issued in the future")
