"""What Secrets Manager's operations run against (``SecretsManager``: the store, the
local key, the account, and the version helpers), and the request helpers they share.
The operations are ``op(api, request) -> response`` functions in ``ops_secrets`` and
``ops_values``.

Every value is encrypted with the local key before it is stored. A secret scheduled
for deletion stays visible to DescribeSecret (with its DeletedDate) and refuses
reads and writes until RestoreSecret; when its recovery window ends it is gone.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.aws.kms_local import DecryptionError, LocalKey

from . import names, staging
from .records import BINARY, STRING, Secret, SecretVersion, value_context
from .store import SecretDb

DAY = 86400.0
MAX_VALUE_BYTES = 65536
MAX_DESCRIPTION = 2048

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION = (
    "You can't perform this operation on the secret because it was marked for deletion."
)


def text_field(body: Mapping[str, Any], field: str, *, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise AwsError("InvalidParameterException", f"You must provide a value for {field}.")
        return None
    if not isinstance(value, str):
        raise AwsError("SerializationException", f"{field} must be a string")
    return value


def invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def value_in(body: Mapping[str, Any]) -> tuple[str, bytes] | None:
    """(kind, plaintext) of SecretString / SecretBinary (base64 on the wire), or None."""
    text, blob = text_field(body, "SecretString"), text_field(body, "SecretBinary")
    if text is not None and blob is not None:
        raise invalid(
            "You can't specify both a binary secret value and a string secret value in the "
            "same secret."
        )
    if text is not None:
        kind, plain = STRING, text.encode()
    elif blob is not None:
        try:
            kind, plain = BINARY, base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise AwsError("SerializationException", "SecretBinary is not base64") from exc
    else:
        return None
    if len(plain) > MAX_VALUE_BYTES:
        raise invalid(f"The secret value exceeds the maximum size of {MAX_VALUE_BYTES} bytes.")
    return kind, plain


def request_token(body: Mapping[str, Any]) -> str:
    # The SDKs fill ClientRequestToken with a UUID; a raw request may leave it out.
    token = text_field(body, "ClientRequestToken") or str(uuid.uuid4())
    if not 32 <= len(token) <= 64:
        raise invalid("ClientRequestToken must be 32 to 64 characters long.")
    return token


class SecretsManager:
    """Every operation, over a ``SecretDb`` and the local key."""

    def __init__(
        self,
        db: SecretDb,
        key: LocalKey,
        region: str,
        account_id: str,
        clock: Callable[[], float],
    ) -> None:
        self.db = db
        self.key = key
        self.region = region
        self.account_id = account_id
        self.clock = clock

    # -- helpers -------------------------------------------------------------------

    def find(self, body: Mapping[str, Any], *, live: bool = True) -> Secret:
        """The secret SecretId names; with ``live``, refuse one marked for deletion."""
        secret = self.db.find(names.SecretId(text_field(body, "SecretId", required=True) or ""))
        if secret is None:
            raise AwsError("ResourceNotFoundException", NOT_FOUND)
        if live and secret.deleted is not None:
            raise AwsError("InvalidRequestException", MARKED_FOR_DELETION)
        return secret

    def seal(self, arn: str, version_id: str, kind: str, plain: bytes) -> SecretVersion:
        sealed = self.key.encrypt(plain, value_context(arn, version_id, kind))
        return SecretVersion(arn, version_id, self.clock(), kind, sealed)

    def plaintext(self, version: SecretVersion) -> bytes:
        try:
            return self.key.decrypt(version.value, version.context)
        except DecryptionError as exc:
            raise AwsError("DecryptionFailure", str(exc)) from exc

    def same(self, version: SecretVersion, kind: str, plain: bytes) -> bool:
        return version.kind == kind and self.plaintext(version) == plain

    def new_version(
        self,
        secret: Secret,
        token: str,
        value: tuple[str, bytes],
        stages: list[str] | None = None,
    ) -> list[str]:
        """Store ``value`` as version ``token``; idempotent for a retried token.

        Returns the version's labels.
        """
        existing = self.db.version(secret.arn, token)
        if existing is not None:
            if not self.same(existing, *value):
                raise AwsError(
                    "ResourceExistsException",
                    "You can't modify an existing version, you can only create a new version.",
                )
            return [s for s, v in sorted(secret.stages.items()) if v == token]
        requested = stages if stages is not None else [staging.CURRENT]
        new_stages = staging.stage_new_version(secret.stages, token, requested)
        version = self.seal(secret.arn, token, *value)
        self.db.add_version(version, new_stages, version.created)
        return sorted(requested)
