"""Secrets Manager's operations on secrets: create, update, delete, restore, describe,
list, and GetRandomPassword."""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError

from . import listing, names, passwords, staging
from .context import (
    DAY,
    MAX_DESCRIPTION,
    SecretsManager,
    invalid,
    request_token,
    text_field,
    value_in,
)
from .records import Secret


def create_secret(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    name = names.check_name(text_field(body, "Name", required=True) or "")
    value = value_in(body)
    token = request_token(body)
    description = text_field(body, "Description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise invalid(f"Description must be at most {MAX_DESCRIPTION} characters.")
    existing = api.db.find(names.SecretId(name))
    if existing is not None:
        return _create_again(api, existing, token, value)
    now = api.clock()
    arn = names.arn(api.region, api.account_id, name, names.new_suffix())
    tags = tuple((str(t.get("Key")), str(t.get("Value", ""))) for t in body.get("Tags") or [])
    secret = Secret(
        arn=arn,
        name=name,
        created=now,
        last_changed=now,
        description=description,
        kms_key_id=text_field(body, "KmsKeyId"),
        tags=tags,
        stages={staging.CURRENT: token} if value else {},
    )
    api.db.create(secret, api.seal(arn, token, *value) if value else None)
    response = {"ARN": arn, "Name": name}
    return {**response, "VersionId": token} if value else response


def _create_again(
    api: SecretsManager, existing: Secret, token: str, value: tuple[str, bytes] | None
) -> dict[str, Any]:
    if existing.deleted is not None:
        raise AwsError(
            "InvalidRequestException",
            "You can't create this secret because a secret with this name is already "
            "scheduled for deletion.",
        )
    # A retried CreateSecret (same token, same value) succeeds again, as AWS's does.
    version = api.db.version(existing.arn, token)
    if value is not None and version is not None and api.same(version, *value):
        return {"ARN": existing.arn, "Name": existing.name, "VersionId": token}
    raise AwsError(
        "ResourceExistsException",
        f"The operation failed because the secret {existing.name} already exists.",
    )


def update_secret(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    secret = api.find(body)
    value = value_in(body)
    fields: dict[str, Any] = {}
    if "Description" in body:
        fields["description"] = text_field(body, "Description") or ""
        if len(fields["description"]) > MAX_DESCRIPTION:
            raise invalid(f"Description must be at most {MAX_DESCRIPTION} characters.")
    if "KmsKeyId" in body:
        fields["kms_key_id"] = text_field(body, "KmsKeyId")
    response = {"ARN": secret.arn, "Name": secret.name}
    if value is not None:
        token = request_token(body)
        api.new_version(secret, token, value)
        response["VersionId"] = token
    if fields or value is not None:
        api.db.update(secret.arn, api.clock(), **fields)
    return response


def delete_secret(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    secret = api.find(body, live=False)
    force = bool(body.get("ForceDeleteWithoutRecovery"))
    window = body.get("RecoveryWindowInDays")
    if force and window is not None:
        raise invalid(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
        )
    now = api.clock()
    if force:
        api.db.purge(secret.arn)
        return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": now}
    if secret.deleted is not None:
        raise AwsError(
            "InvalidRequestException",
            "You tried to perform the operation on a secret that's currently marked deleted.",
        )
    days = 30 if window is None else window
    if not isinstance(days, int) or not 7 <= days <= 30:
        raise invalid("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
    deletion = now + days * DAY
    api.db.schedule_deletion(secret.arn, now, deletion)
    return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": deletion}


def restore_secret(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    secret = api.find(body, live=False)
    api.db.schedule_deletion(secret.arn, None, None)
    return {"ARN": secret.arn, "Name": secret.name}


def describe_secret(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    secret = api.find(body, live=False)
    shape = listing.secret_shape(secret)
    shape["VersionIdsToStages"] = shape.pop("SecretVersionsToStages")
    return shape


def list_secrets(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    return listing.list_secrets(api.db.all(), body, api.region)


def list_secret_version_ids(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    secret = api.find(body, live=False)
    versions = api.db.versions(secret.arn)
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


def get_random_password(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    return {"RandomPassword": passwords.generate_password(passwords.spec_from(body))}
