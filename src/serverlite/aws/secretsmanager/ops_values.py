"""Secrets Manager's operations on values: GetSecretValue, PutSecretValue."""

from __future__ import annotations

import base64
from typing import Any

from serverlite.aws.backend import AwsError

from . import staging
from .context import (
    DAY,
    SecretsManager,
    invalid,
    request_token,
    text_field,
    value_in,
)
from .records import BINARY


def get_secret_value(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    secret = api.find(body)
    version_id = text_field(body, "VersionId")
    stage = text_field(body, "VersionStage")
    if version_id is None:
        version_id = secret.stages.get(stage or staging.CURRENT)
        if version_id is None:
            raise AwsError(
                "ResourceNotFoundException",
                "Secrets Manager can't find the specified secret value for staging label: "
                f"{stage or staging.CURRENT}",
            )
    version = api.db.version(secret.arn, version_id)
    if version is None or (stage is not None and secret.stages.get(stage) != version_id):
        raise AwsError(
            "ResourceNotFoundException",
            f"Secrets Manager can't find the specified secret value for VersionId: {version_id}",
        )
    plain = api.plaintext(version)
    day = api.clock() // DAY * DAY  # AWS records access dates to the day
    if secret.last_accessed != day or version.last_accessed != day:
        api.db.accessed(secret.arn, version.version_id, day)
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


def put_secret_value(api: SecretsManager, body: dict[str, Any]) -> dict[str, Any]:
    secret = api.find(body)
    value = value_in(body)
    if value is None:
        raise AwsError(
            "InvalidRequestException", "You must provide either SecretString or SecretBinary."
        )
    token = request_token(body)
    stages = body.get("VersionStages")
    if stages is not None and (not isinstance(stages, list) or not stages):
        raise invalid("VersionStages must be a list of 1 to 20 staging labels.")
    labels = api.new_version(secret, token, value, stages)
    return {"ARN": secret.arn, "Name": secret.name, "VersionId": token, "VersionStages": labels}
