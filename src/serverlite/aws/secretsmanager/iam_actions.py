"""Each Secrets Manager operation's IAM action and resource (the secret's full ARN).

From the Service Authorization Reference ("Actions, resources, and condition keys for
AWS Secrets Manager"): a secret is named by its ARN with AWS's six-character suffix,
whichever way the request names it (name, partial or full ARN), so the secret is looked
up; ``secretsmanager:SecretId`` carries what the request said. ListSecrets and
GetRandomPassword act on no secret; CreateSecret on the new name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from serverlite.iam.request import IamRequest

from .context import SecretsManager
from .names import SecretId

ON_NOTHING = frozenset({"ListSecrets", "GetRandomPassword", "BatchGetSecretValue"})


def iam_map(api: SecretsManager) -> Callable[[str, dict[str, Any]], Sequence[IamRequest]]:
    region, account = api.region, api.account_id

    def requests(operation: str, request: dict[str, Any]) -> Sequence[IamRequest]:
        action = f"secretsmanager:{operation}"
        if operation in ON_NOTHING:
            return (IamRequest(action),)
        if operation == "CreateSecret":
            name = str(request["Name"])
            return (IamRequest(action, f"arn:aws:secretsmanager:{region}:{account}:secret:{name}"),)
        given = str(request["SecretId"])
        secret = api.db.find(SecretId(given))
        if secret is not None:
            resource = secret.arn
        elif given.startswith("arn:"):
            resource = given
        else:
            resource = f"arn:aws:secretsmanager:{region}:{account}:secret:{given}"
        return (IamRequest(action, resource, {"secretsmanager:SecretId": given}),)

    return requests
