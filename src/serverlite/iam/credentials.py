"""The credentials Lambda gives each function: its execution role's temporary keys.

On AWS a function's environment holds ``AWS_ACCESS_KEY_ID`` (``ASIA...``: a temporary
key), ``AWS_SECRET_ACCESS_KEY`` and ``AWS_SESSION_TOKEN`` from assuming its role. Here
each function gets keys of its own, derived from its ARN, so the AWS endpoint knows
which function signed a request from the access key in its SigV4 ``Credential`` (the
signature itself is not checked: the keys open nothing outside serverlite).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

KEY_ALPHABET_PREFIX = "ASIA"  # AWS's prefix for temporary (STS) access keys


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


def for_function(function_arn: str) -> Credentials:
    """Stable across restarts and distinct per function: 20 characters, ``ASIA`` + 16."""
    digest = hashlib.sha256(f"serverlite/{function_arn}".encode()).digest()
    key = base64.b32encode(digest).decode().rstrip("=")
    secret = base64.b64encode(hashlib.sha256(digest + b"secret").digest()).decode()[:40]
    token = base64.b64encode(hashlib.sha256(digest + b"token").digest()).decode()
    return Credentials(f"{KEY_ALPHABET_PREFIX}{key[:16]}", secret, f"serverlite/{token}")


def access_key_of(authorization: str | None, query_credential: str | None = None) -> str | None:
    """The access key a SigV4 request was signed with: ``Credential=AKID/date/region/...``
    in the Authorization header, or a presigned URL's ``X-Amz-Credential``."""
    credential = query_credential
    if authorization is not None:
        start = authorization.find("Credential=")
        if start < 0:
            return None
        credential = authorization[start + len("Credential=") :]
    if not credential:
        return None
    return credential.split("/", 1)[0].strip() or None
