"""A certificate for the WebSocket APIs' HTTPS port.

Functions reach the API Gateway Management API with the URL AWS teaches them to build,
``https://{requestContext.domainName}/{stage}``; locally ``domainName`` is
``127.0.0.1:<port>`` of a port that speaks TLS with this self-signed certificate (for
``localhost`` and 127.0.0.1/::1), and every function's environment has
``AWS_CA_BUNDLE`` naming it, so botocore trusts it and the function's code is unchanged.
Made once, kept under the state directory (0600 key).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

VALID_DAYS = 3650


def certificate(state_dir: Path) -> tuple[Path, Path]:
    """(certificate, key) PEM files under ``<state>/tls/``, made on first use."""
    folder = state_dir / "tls"
    cert_path, key_path = folder / "localhost.pem", folder / "localhost-key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # cryptography: only when a template has WebSocket APIs and no certificate is made yet
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "serverlite localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName("localhost"),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    x509.IPAddress(ipaddress.ip_address("::1")),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
