"""The Secrets Manager API: one method per operation, request body in, response body out.

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

from . import listing, names, passwords, staging
from .records import BINARY, STRING, Secret, SecretVersion, value_context
from .store import SecretDb

Operation = Callable[["SecretsManager", dict[str, Any]], dict[str, Any]]
DAY = 86400.0
MAX_VALUE_BYTES = 65536
MAX_DESCRIPTION = 2048

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION = (
    "You can't perform this operation on the secret because it was marked for deletion."
)


def _text(body: Mapping[str, Any], field: str, *, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise AwsError("InvalidParameterException", f"You must provide a value for {field}.")
        return None
    if not isinstance(value, str):
        raise AwsError("SerializationException", f"{field} must be a string")
    return value


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


def _value(body: Mapping[str, Any]) -> tuple[str, bytes] | None:
    """(kind, plaintext) of SecretString / SecretBinary (base64 on the wire), or None."""
    text, blob = _text(body, "SecretString"), _text(body, "SecretBinary")
    if text is not None and blob is not None:
        raise _invalid(
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
        raise _invalid(f"The secret value exceeds the maximum size of {MAX_VALUE_BYTES} bytes.")
    return kind, plain


def _token(body: Mapping[str, Any]) -> str:
    # The SDKs fill ClientRequestToken with a UUID; a raw request may leave it out.
    token = _text(body, "ClientRequestToken") or str(uuid.uuid4())
    if not 32 <= len(token) <= 64:
        raise _invalid("ClientRequestToken must be 32 to 64 characters long.")
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
        secret = self.db.find(names.SecretId(_text(body, "SecretId", required=True) or ""))
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

    # -- operations ----------------------------------------------------------------

    def create_secret(self, body: dict[str, Any]) -> dict[str, Any]:
        name = names.check_name(_text(body, "Name", required=True) or "")
        value = _value(body)
        token = _token(body)
        description = _text(body, "Description") or ""
        if len(description) > MAX_DESCRIPTION:
            raise _invalid(f"Description must be at most {MAX_DESCRIPTION} characters.")
        existing = self.db.find(names.SecretId(name))
        if existing is not None:
            return self._create_again(existing, token, value)
        now = self.clock()
        arn = names.arn(self.region, self.account_id, name, names.new_suffix())
        tags = tuple((str(t.get("Key")), str(t.get("Value", ""))) for t in body.get("Tags") or [])
        secret = Secret(
            arn=arn,
            name=name,
            created=now,
            last_changed=now,
            description=description,
            kms_key_id=_text(body, "KmsKeyId"),
            tags=tags,
            stages={staging.CURRENT: token} if value else {},
        )
        self.db.create(secret, self.seal(arn, token, *value) if value else None)
        response = {"ARN": arn, "Name": name}
        return {**response, "VersionId": token} if value else response

    def _create_again(
        self, existing: Secret, token: str, value: tuple[str, bytes] | None
    ) -> dict[str, Any]:
        if existing.deleted is not None:
            raise AwsError(
                "InvalidRequestException",
                "You can't create this secret because a secret with this name is already "
                "scheduled for deletion.",
            )
        # A retried CreateSecret (same token, same value) succeeds again, as AWS's does.
        version = self.db.version(existing.arn, token)
        if value is not None and version is not None and self.same(version, *value):
            return {"ARN": existing.arn, "Name": existing.name, "VersionId": token}
        raise AwsError(
            "ResourceExistsException",
            f"The operation failed because the secret {existing.name} already exists.",
        )

    def get_secret_value(self, body: dict[str, Any]) -> dict[str, Any]:
        secret = self.find(body)
        version_id = _text(body, "VersionId")
        stage = _text(body, "VersionStage")
        if version_id is None:
            version_id = secret.stages.get(stage or staging.CURRENT)
            if version_id is None:
                raise AwsError(
                    "ResourceNotFoundException",
                    "Secrets Manager can't find the specified secret value for staging label: "
                    f"{stage or staging.CURRENT}",
                )
        version = self.db.version(secret.arn, version_id)
        if version is None or (stage is not None and secret.stages.get(stage) != version_id):
            raise AwsError(
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret value for VersionId: "
                f"{version_id}",
            )
        plain = self.plaintext(version)
        day = self.clock() // DAY * DAY  # AWS records access dates to the day
        if secret.last_accessed != day or version.last_accessed != day:
            self.db.accessed(secret.arn, version.version_id, day)
        response: dict[str, Any] = {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version.version_id,
            "VersionStages": [s for s, v in sorted(secret.stages.items()) if v == version_id],
            "CreatedDate": version.created,
        }
        if version.kind == BINARY:
            response["SecretBinary"] = base64.b64encode(plain).decode()
        else:
            response["SecretString"] = plain.decode()
        return response

    def put_secret_value(self, body: dict[str, Any]) -> dict[str, Any]:
        secret = self.find(body)
        value = _value(body)
        if value is None:
            raise AwsError(
                "InvalidRequestException", "You must provide either SecretString or SecretBinary."
            )
        token = _token(body)
        stages = body.get("VersionStages")
        if stages is not None and (not isinstance(stages, list) or not stages):
            raise _invalid("VersionStages must be a list of 1 to 20 staging labels.")
        labels = self.new_version(secret, token, value, stages)
        return {"ARN": secret.arn, "Name": secret.name, "VersionId": token, "VersionStages": labels}

    def update_secret(self, body: dict[str, Any]) -> dict[str, Any]:
        secret = self.find(body)
        value = _value(body)
        fields: dict[str, Any] = {}
        if "Description" in body:
            fields["description"] = _text(body, "Description") or ""
            if len(fields["description"]) > MAX_DESCRIPTION:
                raise _invalid(f"Description must be at most {MAX_DESCRIPTION} characters.")
        if "KmsKeyId" in body:
            fields["kms_key_id"] = _text(body, "KmsKeyId")
        response = {"ARN": secret.arn, "Name": secret.name}
        if value is not None:
            token = _token(body)
            self.new_version(secret, token, value)
            response["VersionId"] = token
        if fields or value is not None:
            self.db.update(secret.arn, self.clock(), **fields)
        return response

    def delete_secret(self, body: dict[str, Any]) -> dict[str, Any]:
        secret = self.find(body, live=False)
        force = bool(body.get("ForceDeleteWithoutRecovery"))
        window = body.get("RecoveryWindowInDays")
        if force and window is not None:
            raise _invalid(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        now = self.clock()
        if force:
            self.db.purge(secret.arn)
            return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": now}
        if secret.deleted is not None:
            raise AwsError(
                "InvalidRequestException",
                "You tried to perform the operation on a secret that's currently marked deleted.",
            )
        days = 30 if window is None else window
        if not isinstance(days, int) or not 7 <= days <= 30:
            raise _invalid(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        deletion = now + days * DAY
        self.db.schedule_deletion(secret.arn, now, deletion)
        return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": deletion}

    def restore_secret(self, body: dict[str, Any]) -> dict[str, Any]:
        secret = self.find(body, live=False)
        self.db.schedule_deletion(secret.arn, None, None)
        return {"ARN": secret.arn, "Name": secret.name}

    def describe_secret(self, body: dict[str, Any]) -> dict[str, Any]:
        secret = self.find(body, live=False)
        shape = listing.secret_shape(secret)
        shape["VersionIdsToStages"] = shape.pop("SecretVersionsToStages")
        return shape

    def list_secrets(self, body: dict[str, Any]) -> dict[str, Any]:
        return listing.list_secrets(self.db.all(), body, self.region)

    def list_secret_version_ids(self, body: dict[str, Any]) -> dict[str, Any]:
        secret = self.find(body, live=False)
        versions = self.db.versions(secret.arn)
        if not body.get("IncludeDeprecated"):
            versions = [v for v in versions if v.version_id in secret.stages.values()]
        page, token = listing.paginate(list(reversed(versions)), body, key=lambda v: v.version_id)
        labels = staging.versions_to_stages(secret.stages)
        entries = []
        for version in page:
            entry: dict[str, Any] = {
                "VersionId": version.version_id,
                "CreatedDate": version.created,
                "KmsKeyIds": ["DefaultEncryptionKey"],
            }
            if labels.get(version.version_id):
                entry["VersionStages"] = labels[version.version_id]
            if version.last_accessed is not None:
                entry["LastAccessedDate"] = version.last_accessed
            entries.append(entry)
        response: dict[str, Any] = {"Versions": entries, "ARN": secret.arn, "Name": secret.name}
        if token:
            response["NextToken"] = token
        return response

    def get_random_password(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"RandomPassword": passwords.generate_password(passwords.spec_from(body))}


def _purging(operation: Operation) -> Operation:
    """Secrets whose recovery window has ended are gone before any operation looks."""

    def op(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
        api.db.purge_expired(api.clock())
        return operation(api, body)

    return op


# The one table: op(api, request) -> response, as the JSON dispatcher runs them.
OPERATIONS: dict[str, Operation] = {
    name: _purging(operation)
    for name, operation in {
        "CreateSecret": SecretsManager.create_secret,
        "GetSecretValue": SecretsManager.get_secret_value,
        "PutSecretValue": SecretsManager.put_secret_value,
        "UpdateSecret": SecretsManager.update_secret,
        "DeleteSecret": SecretsManager.delete_secret,
        "RestoreSecret": SecretsManager.restore_secret,
        "DescribeSecret": SecretsManager.describe_secret,
        "ListSecrets": SecretsManager.list_secrets,
        "ListSecretVersionIds": SecretsManager.list_secret_version_ids,
        "GetRandomPassword": SecretsManager.get_random_password,
    }.items()
}
