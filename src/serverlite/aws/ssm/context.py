"""What Parameter Store's operations run against (``ParameterStore``: the store, the
local key, the account), and the request helpers they share. The operations are
``op(store, request) -> response`` functions in ``ops_writes`` and ``ops_reads``.

Values of SecureString parameters are encrypted with the local key before they are
stored; a read without ``WithDecryption`` answers with the ciphertext, base64, as AWS
answers with its KMS ciphertext blob, never the plaintext.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.aws.kms_local import DecryptionError, LocalKey

from . import names, values
from .records import ParameterVersion
from .store import ParameterDb

log = logging.getLogger("serverlite.ssm")
MAX_NAMES = 10


def text_field(body: Mapping[str, Any], field: str, *, required: bool = False) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            raise AwsError(
                "ValidationException",
                f"1 validation error detected: Value null at '{field[0].lower()}{field[1:]}' "
                "failed to satisfy constraint: Member must not be null",
            )
        return None
    if not isinstance(value, str):
        raise AwsError("SerializationException", f"{field} must be a string")
    return value


def name_list(body: Mapping[str, Any]) -> list[str]:
    raw = body.get("Names")
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) for n in raw):
        raise values.constraint_error("names", raw, "Member must have length greater than 1")
    if len(raw) > MAX_NAMES:
        raise values.constraint_error(
            "names",
            f"[{', '.join(raw)}]",
            f"Member must have length less than or equal to {MAX_NAMES}",
        )
    return list(dict.fromkeys(raw))


def tag_map(body: Mapping[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in body.get("Tags") or []}


def not_found() -> AwsError:
    # AWS answers an unknown parameter with an empty message.
    return AwsError("ParameterNotFound", "")


class ParameterStore:
    """Every operation, over a ``ParameterDb`` and the local key."""

    def __init__(
        self,
        db: ParameterDb,
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

    # -- shapes --------------------------------------------------------------------

    def arn(self, record: ParameterVersion) -> str:
        return names.arn(self.region, self.account_id, record.name)

    def plaintext(self, record: ParameterVersion) -> str:
        if not record.secure:
            return record.value.decode()
        try:
            return self.key.decrypt(record.value, record.context).decode()
        except DecryptionError as exc:
            raise AwsError("InvalidKeyId", str(exc)) from exc

    def value_of(self, record: ParameterVersion, decrypt: bool) -> str:
        if record.secure and not decrypt:
            return base64.b64encode(record.value).decode()
        return self.plaintext(record)

    def parameter(
        self, record: ParameterVersion, decrypt: bool, selector: str | None = None
    ) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "Name": record.name,
            "Type": record.type,
            "Value": self.value_of(record, decrypt),
            "Version": record.version,
            "LastModifiedDate": record.modified,
            "ARN": self.arn(record),
            "DataType": record.data_type,
        }
        if selector is not None:
            shape["Selector"] = selector
        return shape

    def metadata(self, record: ParameterVersion) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "Name": record.name,
            "ARN": self.arn(record),
            "Type": record.type,
            "LastModifiedDate": record.modified,
            "LastModifiedUser": f"arn:aws:iam::{self.account_id}:root",
            "Version": record.version,
            "Tier": record.tier,
            "Policies": [],
            "DataType": record.data_type,
        }
        if record.key_id:
            shape["KeyId"] = record.key_id
        if record.description:
            shape["Description"] = record.description
        if record.allowed_pattern:
            shape["AllowedPattern"] = record.allowed_pattern
        return shape

    # -- lookups -------------------------------------------------------------------

    def find(self, reference: names.Reference) -> ParameterVersion:
        key = names.name_key(reference.name)
        if reference.version is not None:
            record = self.db.version(key, reference.version)
            if record is None:
                if self.db.latest(key) is None:
                    raise not_found()
                raise AwsError(
                    "ParameterVersionNotFound",
                    f"Systems Manager could not find version {reference.version} of "
                    f"{reference.name}. Verify the version and try again.",
                )
            return record
        if reference.label is not None:
            record = self.db.labelled(key, reference.label)
        else:
            record = self.db.latest(key)
        if record is None:
            raise not_found()
        return record
