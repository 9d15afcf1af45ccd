import base64
import hashlib
import json

import jwt
import pytest
from identity.domain import InvalidGrant, RotationTooSoon
from identity.keys import KeyRing, SigningKey, new_key, thumbprint

NOW = 1_700_000_000.0
ISSUER = "http://127.0.0.1:3000"


def _claims():
    return {"iss": ISSUER, "sub": "u1", "aud": ["identity"], "iat": int(NOW), "exp": int(NOW) + 60}


def test_a_new_ring_publishes_current_and_next():
    ring = KeyRing.bootstrap(NOW)
    jwks = ring.jwks()["keys"]
    assert [k["kid"] for k in jwks] == [ring.current.kid, ring.next.kid]
    for jwk in jwks:
        assert jwk["kty"] == "EC" and jwk["crv"] == "P-256"
        assert jwk["alg"] == "ES256" and jwk["use"] == "sig"
        assert "d" not in jwk  # never a private part
        assert jwk["kid"] == thumbprint(jwk)


def test_kids_are_rfc7638_thumbprints():
    jwk = {"kty": "EC", "crv": "P-256", "x": "abc", "y": "def"}
    canonical = b'{"crv":"P-256","kty":"EC","x":"abc","y":"def"}'
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
    assert thumbprint({**jwk, "kid": "ignored"}) == expected


def test_rotation_promotes_next_and_keeps_previous_published():
    ring = KeyRing.bootstrap(NOW)
    rotated = ring.rotate(NOW + 1, min_interval_s=1200)  # no previous yet: always allowed
    assert rotated.current == ring.next
    assert rotated.previous == ring.current
    assert rotated.next not in ring.published
    assert {k["kid"] for k in rotated.jwks()["keys"]} == {
        ring.current.kid,
        ring.next.kid,
        rotated.next.kid,
    }


def test_rotating_again_waits_until_the_previous_keys_tokens_expired():
    ring = KeyRing.bootstrap(NOW).rotate(NOW, 1200)
    with pytest.raises(RotationTooSoon) as refused:
        ring.rotate(NOW + 1000, 1200)
    assert refused.value.retry_after == 200
    again = ring.rotate(NOW + 1200, 1200)
    assert ring.previous not in again.published


def test_tokens_signed_before_a_rotation_still_verify():
    ring = KeyRing.bootstrap(NOW)
    token = ring.sign(_claims())
    rotated = ring.rotate(NOW, 1200)
    assert rotated.verify(token, ISSUER, "identity", NOW + 10)["sub"] == "u1"
    assert jwt.get_unverified_header(rotated.sign(_claims()))["kid"] == ring.next.kid


def test_the_ring_survives_json():
    ring = KeyRing.bootstrap(NOW).rotate(NOW, 0)
    again = KeyRing.from_json(ring.to_json())
    assert again == ring
    assert again is not None and again.verify(ring.sign(_claims()), ISSUER, "identity", NOW)
    assert KeyRing.from_json("") is None
    assert KeyRing.from_json("{}") is None


def test_verification_refuses_what_it_should():
    ring = KeyRing.bootstrap(NOW)
    good = ring.sign(_claims())
    with pytest.raises(InvalidGrant):
        ring.verify(good, ISSUER, "locations", NOW)  # audience
    with pytest.raises(InvalidGrant):
        ring.verify(good, "http://elsewhere", "identity", NOW)  # issuer
    with pytest.raises(InvalidGrant, match="not valid now"):
        ring.verify(good, ISSUER, "identity", NOW + 60)  # expired
    head, body, sig = good.split(".")
    forged_body = base64.urlsafe_b64encode(
        json.dumps({**_claims(), "sub": "admin"}).encode()
    ).rstrip(b"=")
    with pytest.raises(InvalidGrant):
        ring.verify(f"{head}.{forged_body.decode()}.{sig}", ISSUER, "identity", NOW)
    none_head = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "kid": ring.current.kid}).encode()
    ).rstrip(b"=")
    with pytest.raises(InvalidGrant):
        ring.verify(f"{none_head.decode()}.{body}.", ISSUER, "identity", NOW)
    stranger = KeyRing(new_key(NOW), new_key(NOW), None, int(NOW))
    with pytest.raises(InvalidGrant, match="not signed by this issuer"):
        ring.verify(stranger.sign(_claims()), ISSUER, "identity", NOW)


def test_private_keys_stay_out_of_reprs():
    key = new_key(NOW)
    assert "PRIVATE" not in repr(key)
    assert SigningKey.from_json(key.to_json()) == key
