"""Secret names, ARNs and how a SecretId names a secret. No I/O."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from serverlite.aws.backend import AwsError

MAX_NAME = 512
SUFFIX_LENGTH = 6
SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_NAME = re.compile(r"[a-zA-Z0-9/_+=.@\-]+")


def check_name(name: str) -> str:
    if not name or len(name) > MAX_NAME or not _NAME.fullmatch(name):
        raise AwsError(
            "InvalidParameterException",
            "Invalid name. Must be a valid name containing alphanumeric characters, "
            "or any of the following: -/_+=.@!",
        )
    return name


def new_suffix() -> str:
    """AWS ends a secret's ARN with "-" and six random characters."""
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(SUFFIX_LENGTH))


def arn(region: str, account_id: str, name: str, suffix: str) -> str:
    return f"arn:aws:secretsmanager:{region}:{account_id}:secret:{name}-{suffix}"


def name_in_arn(secret_arn: str) -> str:
    """The secret's name inside its ARN (the ARN without the ``-xxxxxx`` suffix)."""
    resource = secret_arn.split(":secret:", 1)[-1]
    return resource[: -(SUFFIX_LENGTH + 1)]


@dataclass(frozen=True)
class SecretId:
    """A SecretId: a name, a full ARN, or a partial ARN (the ARN without its suffix)."""

    text: str

    @property
    def is_arn(self) -> bool:
        return self.text.startswith("arn:")

    def matches(self, secret_arn: str, name: str) -> bool:
        if not self.is_arn:
            return self.text == name
        if self.text == secret_arn:
            return True
        return self.text == secret_arn[: -(SUFFIX_LENGTH + 1)]
