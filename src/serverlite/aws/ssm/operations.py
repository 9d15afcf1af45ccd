"""The Parameter Store API: one method per operation, request body in, response body out.

Values of SecureString parameters are encrypted with the local key before they are
stored; a read without ``WithDecryption`` answers with the ciphertext, base64, as AWS
answers with its KMS ciphertext blob, never the plaintext.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.aws.kms_local import DecryptionError, LocalKey

from . import filters, names, values
from .records import DEFAULT_KEY_ID, SECURE, ParameterVersion
from .store import MAX_VERSIONS, ParameterDb

Operation = Callable[["ParameterStore", dict[str, Any]], dict[str, Any]]
log = logging.getLogger("serverlite.ssm")
_MAX_NAMES = 10


def _text(body: Mapping[str, Any], field: str, *, required: bool = False) -> str | None:
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


def _names(body: Mapping[str, Any]) -> list[str]:
    raw = body.get("Names")
    if not isinstance(raw, list) or not raw or not all(isinstance(n, str) for n in raw):
        raise values.constraint_error("names", raw, "Member must have length greater than 1")
    if len(raw) > _MAX_NAMES:
        raise values.constraint_error(
            "names",
            f"[{', '.join(raw)}]",
            f"Member must have length less than or equal to {_MAX_NAMES}",
        )
    return list(dict.fromkeys(raw))


def _tags(body: Mapping[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in body.get("Tags") or []}


def _not_found() -> AwsError:
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

    def _arn(self, record: ParameterVersion) -> str:
        return names.arn(self.region, self.account_id, record.name)

    def plaintext(self, record: ParameterVersion) -> str:
        if not record.secure:
            return record.value.decode()
        try:
            return self.key.decrypt(record.value, record.context).decode()
        except DecryptionError as exc:
            raise AwsError("InvalidKeyId", str(exc)) from exc

    def _value(self, record: ParameterVersion, decrypt: bool) -> str:
        if record.secure and not decrypt:
            return base64.b64encode(record.value).decode()
        return self.plaintext(record)

    def _parameter(
        self, record: ParameterVersion, decrypt: bool, selector: str | None = None
    ) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "Name": record.name,
            "Type": record.type,
            "Value": self._value(record, decrypt),
            "Version": record.version,
            "LastModifiedDate": record.modified,
            "ARN": self._arn(record),
            "DataType": record.data_type,
        }
        if selector is not None:
            shape["Selector"] = selector
        return shape

    def _metadata(self, record: ParameterVersion) -> dict[str, Any]:
        shape: dict[str, Any] = {
            "Name": record.name,
            "ARN": self._arn(record),
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
                    raise _not_found()
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
            raise _not_found()
        return record

    # -- writes --------------------------------------------------------------------

    def put_parameter(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _text(body, "Name", required=True) or ""
        value = _text(body, "Value", required=True) or ""
        names.check_new_name(name, self.region, self.account_id)
        key = names.name_key(name)
        overwrite = bool(body.get("Overwrite"))
        tags = body.get("Tags") or []
        if tags and overwrite:
            raise AwsError(
                "ValidationException",
                "Invalid request: tags and overwrite can't be used together. To create a "
                "parameter with tags, please remove overwrite flag. To update tags on an "
                "existing parameter, please use AddTagsToResource",
            )
        if body.get("Policies"):
            log.warning("PutParameter %s: serverlite ignores parameter policies", name)
        previous = self.db.latest(key)
        if previous is not None and not overwrite:
            raise AwsError(
                "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this value, set the overwrite "
                "option in the request to true.",
            )
        record = self._next_version(body, key, name, value, previous)
        if record.secure:
            record = replace(record, value=self.key.encrypt(record.value, record.context))
        self.db.add_version(record)
        return {"Version": record.version, "Tier": record.tier}

    def _next_version(
        self,
        body: Mapping[str, Any],
        key: str,
        name: str,
        value: str,
        previous: ParameterVersion | None,
    ) -> ParameterVersion:
        """The version PutParameter makes; what the request leaves out, the previous keeps."""
        kind = _text(body, "Type") or (previous.type if previous else None)
        if kind is None:
            raise AwsError(
                "ValidationException", "A parameter type is required when you create a parameter."
            )
        values.check_type(kind)
        tier = values.resolve_tier(_text(body, "Tier"), previous.tier if previous else None, value)
        description = _text(body, "Description")
        if description is None:
            description = previous.description if previous else ""
        pattern = _text(body, "AllowedPattern")
        if pattern is None:
            pattern = previous.allowed_pattern if previous else ""
        if pattern:
            values.check_pattern(pattern, value)
        data_type = _text(body, "DataType") or (previous.data_type if previous else "text")
        version = previous.version + 1 if previous else 1
        if version > MAX_VERSIONS:
            self._check_oldest_unlabelled(key, name, version)
        key_id = None
        if kind == SECURE:
            kept = previous.key_id if previous and previous.secure else None
            key_id = _text(body, "KeyId") or kept or DEFAULT_KEY_ID
        return ParameterVersion(
            key=key,
            name=previous.name if previous else name,
            version=version,
            type=kind,
            value=value.encode(),
            tier=tier,
            data_type=values.check_data_type(data_type, kind, value),
            modified=self.clock(),
            description=values.check_description(description),
            allowed_pattern=pattern,
            key_id=key_id,
            tags=previous.tags if previous else _tags(body),
        )

    def _check_oldest_unlabelled(self, key: str, name: str, version: int) -> None:
        history = self.db.history(key, after=version - MAX_VERSIONS - 1)
        if history and history[0].labels:
            raise AwsError(
                "ParameterMaxVersionLimitExceeded",
                f"You attempted to create a new version of {name} by calling the PutParameter "
                f"API with the overwrite flag. Version {history[0].version}, the oldest version, "
                "can't be deleted because it has a label associated with it. Move the label to "
                "another version of the parameter, and try again.",
            )

    def delete_parameter(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _text(body, "Name", required=True) or ""
        names.check_name(name)
        if not self.db.delete(names.name_key(name)):
            raise _not_found()
        return {}

    def delete_parameters(self, body: dict[str, Any]) -> dict[str, Any]:
        deleted: list[str] = []
        invalid: list[str] = []
        for name in _names(body):
            try:
                names.check_name(name)
            except AwsError:
                invalid.append(name)
                continue
            (deleted if self.db.delete(names.name_key(name)) else invalid).append(name)
        return {"DeletedParameters": deleted, "InvalidParameters": invalid}

    def label_parameter_version(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _text(body, "Name", required=True) or ""
        names.check_name(name)
        requested = body.get("ParameterVersion")
        record = self.find(
            names.Reference(name, version=requested if isinstance(requested, int) else None)
        )
        labels = [str(label) for label in body.get("Labels") or []]
        invalid = [label for label in labels if not names.valid_label(label)]
        valid = list(dict.fromkeys(label for label in labels if label not in invalid))
        if len(set(record.labels) | set(valid)) > 10:
            raise AwsError(
                "ParameterVersionLabelLimitExceeded",
                "A parameter version can have maximum 10 labels. Move one or more labels to "
                "another version and try again.",
            )
        self.db.move_labels(record.key, record.version, valid)
        return {"InvalidLabels": invalid, "ParameterVersion": record.version}

    # -- reads ---------------------------------------------------------------------

    def get_parameter(self, body: dict[str, Any]) -> dict[str, Any]:
        reference = names.parse_reference(_text(body, "Name", required=True) or "")
        record = self.find(reference)
        decrypt = bool(body.get("WithDecryption"))
        return {"Parameter": self._parameter(record, decrypt, reference.selector)}

    def get_parameters(self, body: dict[str, Any]) -> dict[str, Any]:
        decrypt = bool(body.get("WithDecryption"))
        found: list[dict[str, Any]] = []
        invalid: list[str] = []
        for text in _names(body):
            try:
                reference = names.parse_reference(text)
                record = self.find(reference)
            except AwsError as exc:
                if exc.code == "ValidationException":
                    raise
                invalid.append(text)
                continue
            found.append(self._parameter(record, decrypt, reference.selector))
        return {"Parameters": found, "InvalidParameters": invalid}

    def get_parameters_by_path(self, body: dict[str, Any]) -> dict[str, Any]:
        prefix = names.check_path(_text(body, "Path", required=True) or "")
        recursive = bool(body.get("Recursive"))
        predicates = filters.parameter_filters(body.get("ParameterFilters"), filters.BY_PATH_KEYS)
        by_label = any(key == "Label" for key, _ in predicates)
        limit = filters.page_size(body.get("MaxResults"), maximum=10, default=10)
        after = filters.decode_token(_text(body, "NextToken")) or ""
        decrypt = bool(body.get("WithDecryption"))
        page: list[ParameterVersion] = []
        more = False
        for latest in self.db.all_latest(prefix, after):
            if not names.in_path(latest.name, prefix, recursive=recursive):
                continue
            # A Label filter selects the version carrying the label, not the latest one.
            candidates = reversed(self.db.history(latest.key)) if by_label else [latest]
            match = next((v for v in candidates if all(p(v) for _, p in predicates)), None)
            if match is None:
                continue
            if len(page) == limit:
                more = True
                break
            page.append(match)
        response: dict[str, Any] = {"Parameters": [self._parameter(r, decrypt) for r in page]}
        if more:
            response["NextToken"] = filters.encode_token(page[-1].key)
        return response

    def describe_parameters(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("Filters") and body.get("ParameterFilters"):
            raise AwsError(
                "ValidationException",
                "You can use either Filters or ParameterFilters in a single request.",
            )
        keyed = filters.parameter_filters(body.get("ParameterFilters"), filters.DESCRIBE_KEYS)
        predicates = [p for _, p in keyed] + filters.legacy_filters(body.get("Filters"))
        limit = filters.page_size(body.get("MaxResults"), maximum=50, default=10)
        after = filters.decode_token(_text(body, "NextToken")) or ""
        matching = [r for r in self.db.all_latest("/", after) if all(p(r) for p in predicates)]
        response: dict[str, Any] = {"Parameters": [self._metadata(r) for r in matching[:limit]]}
        if len(matching) > limit:
            response["NextToken"] = filters.encode_token(matching[limit - 1].key)
        return response

    def get_parameter_history(self, body: dict[str, Any]) -> dict[str, Any]:
        name = _text(body, "Name", required=True) or ""
        names.check_name(name)
        limit = filters.page_size(body.get("MaxResults"), maximum=50, default=50)
        after = filters.decode_token(_text(body, "NextToken"))
        if after is not None and not after.isdigit():
            raise AwsError("InvalidNextToken", "The specified token isn't valid.")
        history = self.db.history(names.name_key(name), int(after) if after else 0)
        if not history and after is None:
            raise _not_found()
        decrypt = bool(body.get("WithDecryption"))
        entries = []
        for record in history[:limit]:
            entry = self._metadata(record)
            del entry["ARN"]
            entry["Value"] = self._value(record, decrypt)
            entry["Labels"] = list(record.labels)
            entries.append(entry)
        response: dict[str, Any] = {"Parameters": entries}
        if len(history) > limit:
            response["NextToken"] = filters.encode_token(str(history[limit - 1].version))
        return response


# The one table: op(store, request) -> response, as the JSON dispatcher runs them.
OPERATIONS: dict[str, Operation] = {
    "PutParameter": ParameterStore.put_parameter,
    "GetParameter": ParameterStore.get_parameter,
    "GetParameters": ParameterStore.get_parameters,
    "GetParametersByPath": ParameterStore.get_parameters_by_path,
    "DeleteParameter": ParameterStore.delete_parameter,
    "DeleteParameters": ParameterStore.delete_parameters,
    "DescribeParameters": ParameterStore.describe_parameters,
    "GetParameterHistory": ParameterStore.get_parameter_history,
    "LabelParameterVersion": ParameterStore.label_parameter_version,
}
