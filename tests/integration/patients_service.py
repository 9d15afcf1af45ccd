"""services/patients under `serverlite up`, trusting a test JWT issuer: what the
patients tests share (test_patients.py, test_patients_openapi.py).

The issuer is an ES256 key whose JWKS this module serves on 127.0.0.1, passed to the
template as its JwtIssuer parameter (a loopback issuer needs no
SERVERLITE_JWT_ISSUERS mapping).
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from tests.integration.conftest import Server, json_documents, start_server

SERVICE = Path(__file__).resolve().parents[2] / "services" / "patients"


def _fhir_r4_check() -> Callable[[Any], dict[str, Any]]:
    """The service's own FHIR R4 check (services/patients/tests/fhir_r4.py), by path:
    that folder is not a package."""
    spec = importlib.util.spec_from_file_location("fhir_r4", SERVICE / "tests" / "fhir_r4.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    check: Callable[[Any], dict[str, Any]] = module.assert_r4
    return check


assert_r4 = _fhir_r4_check()

# Claims of the callers the tests play.
DOC_A = {
    "sub": "doc-a",
    "roles": ["clinician"],
    "org": "org-a",
    "scope": "patients:read patients:write",
}
DOC_B = {
    "sub": "doc-b",
    "roles": ["clinician"],
    "org": "org-b",
    "scope": "patients:read patients:write",
}
ADMIN_A = {"sub": "adm-a", "roles": ["admin"], "org": "org-a", "scope": "patients:audit"}
ADMIN_B = {"sub": "adm-b", "roles": ["admin"], "org": "org-b", "scope": "patients:audit"}


@dataclass
class Issuer:
    base: str
    key: Any

    def token(
        self, *, key: Any = None, headers: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        now = int(time.time())
        body = {"iss": self.base, "aud": "patients", "exp": now + 600, "iat": now, **claims}
        return jwt.encode(
            body, key or self.key, algorithm="ES256", headers={"kid": "k1", **(headers or {})}
        )

    def bearer(self, **claims: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(**claims)}"}


@contextmanager
def jwt_issuer() -> Iterator[Issuer]:
    """A fresh signing key, its JWKS served at <base>/.well-known/jwks.json."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1", "use": "sig"}
    with json_documents(lambda base: {"/.well-known/jwks.json": {"keys": [jwk]}}) as base:
        yield Issuer(base, key)


@contextmanager
def patients_up(issuer: Issuer) -> Iterator[tuple[Server, str]]:
    """`serverlite up` on services/patients: the server and the API's URL."""
    # Not under pytest's basetemp: as root, the embedded PostgreSQL runs as the
    # pgserver user, and another pytest session would make that directory private.
    workdir = Path(tempfile.mkdtemp(prefix="serverlite-patients-"))
    server = start_server(
        SERVICE / "template.yaml",
        workdir / "state",
        "--port",
        "0",
        "--parameter-overrides",
        f"JwtIssuer={issuer.base}",
        "--iam",
        "enforce",
    )
    try:
        yield server, server.api_base()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
