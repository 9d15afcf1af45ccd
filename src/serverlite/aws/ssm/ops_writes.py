"""Parameter Store's writes: PutParameter, DeleteParameter(s), LabelParameterVersion."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from serverlite.aws.backend import AwsError

from . import names, values
from .context import ParameterStore, name_list, not_found, tag_map, text_field
from .records import DEFAULT_KEY_ID, SECURE, ParameterVersion
from .store import MAX_VERSIONS

log = logging.getLogger("serverlite.ssm")


def put_parameter(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    name = text_field(body, "Name", required=True) or ""
    value = text_field(body, "Value", required=True) or ""
    names.check_new_name(name, store.region, store.account_id)
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
    previous = store.db.latest(key)
    if previous is not None and not overwrite:
        raise AwsError(
            "ParameterAlreadyExists",
            "The parameter already exists. To overwrite this value, set the overwrite "
            "option in the request to true.",
        )
    record = _next_version(store, body, key, name, value, previous)
    if record.secure:
        record = replace(record, value=store.key.encrypt(record.value, record.context))
    store.db.add_version(record)
    return {"Version": record.version, "Tier": record.tier}


def _next_version(
    store: ParameterStore,
    body: Mapping[str, Any],
    key: str,
    name: str,
    value: str,
    previous: ParameterVersion | None,
) -> ParameterVersion:
    """The version PutParameter makes; what the request leaves out, the previous keeps."""
    kind = text_field(body, "Type") or (previous.type if previous else None)
    if kind is None:
        raise AwsError(
            "ValidationException", "A parameter type is required when you create a parameter."
        )
    values.check_type(kind)
    tier = values.resolve_tier(text_field(body, "Tier"), previous.tier if previous else None, value)
    description = text_field(body, "Description")
    if description is None:
        description = previous.description if previous else ""
    pattern = text_field(body, "AllowedPattern")
    if pattern is None:
        pattern = previous.allowed_pattern if previous else ""
    if pattern:
        values.check_pattern(pattern, value)
    data_type = text_field(body, "DataType") or (previous.data_type if previous else "text")
    version = previous.version + 1 if previous else 1
    if version > MAX_VERSIONS:
        _check_oldest_unlabelled(store, key, name, version)
    key_id = None
    if kind == SECURE:
        kept = previous.key_id if previous and previous.secure else None
        key_id = text_field(body, "KeyId") or kept or DEFAULT_KEY_ID
    return ParameterVersion(
        key=key,
        name=previous.name if previous else name,
        version=version,
        type=kind,
        value=value.encode(),
        tier=tier,
        data_type=values.check_data_type(data_type, kind, value),
        modified=store.clock(),
        description=values.check_description(description),
        allowed_pattern=pattern,
        key_id=key_id,
        tags=previous.tags if previous else tag_map(body),
    )


def _check_oldest_unlabelled(store: ParameterStore, key: str, name: str, version: int) -> None:
    history = store.db.history(key, after=version - MAX_VERSIONS - 1)
    if history and history[0].labels:
        raise AwsError(
            "ParameterMaxVersionLimitExceeded",
            f"You attempted to create a new version of {name} by calling the PutParameter "
            f"API with the overwrite flag. Version {history[0].version}, the oldest version, "
            "can't be deleted because it has a label associated with it. Move the label to "
            "another version of the parameter, and try again.",
        )


def delete_parameter(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    name = text_field(body, "Name", required=True) or ""
    names.check_name(name)
    if not store.db.delete(names.name_key(name)):
        raise not_found()
    return {}


def delete_parameters(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    deleted: list[str] = []
    invalid: list[str] = []
    for name in name_list(body):
        try:
            names.check_name(name)
        except AwsError:
            invalid.append(name)
            continue
        (deleted if store.db.delete(names.name_key(name)) else invalid).append(name)
    return {"DeletedParameters": deleted, "InvalidParameters": invalid}


def label_parameter_version(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    name = text_field(body, "Name", required=True) or ""
    names.check_name(name)
    requested = body.get("ParameterVersion")
    record = store.find(
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
    store.db.move_labels(record.key, record.version, valid)
    return {"InvalidLabels": invalid, "ParameterVersion": record.version}
