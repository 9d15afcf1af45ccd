"""ParameterFilters / Filters of DescribeParameters and GetParametersByPath, and the
NextToken both page with. Pure: filters are predicates over stored versions."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from serverlite.aws.backend import AwsError

from .names import in_path, name_key
from .records import ParameterVersion
from .values import TIERS, TYPES

Predicate = Callable[[ParameterVersion], bool]

DESCRIBE_KEYS = ("Name", "Type", "KeyId", "Path", "Tier", "DataType")
BY_PATH_KEYS = ("Type", "KeyId", "Label")
_OPTIONS = {
    "Name": ("Equals", "BeginsWith", "Contains"),
    "Path": ("Recursive", "OneLevel"),
    "Type": ("Equals", "BeginsWith"),
    "KeyId": ("Equals", "BeginsWith"),
    "Tier": ("Equals",),
    "DataType": ("Equals",),
    "Label": ("Equals",),
    "tag": ("Equals", "BeginsWith"),
}
_LEGACY_KEYS = ("Name", "Type", "KeyId")


def _fail(code: str, what: str, value: str, valid: Sequence[str]) -> AwsError:
    return AwsError(
        code,
        f"The following filter {what} is not valid: {value}. "
        f"Valid {what}s include: [{', '.join(valid)}].",
    )


def _compare(option: str, actual: str, wanted: str) -> bool:
    if option == "BeginsWith":
        return actual.startswith(wanted)
    if option == "Contains":
        return wanted in actual
    return actual == wanted


def _field(version: ParameterVersion, key: str) -> str:
    return {
        "Type": version.type,
        "KeyId": version.key_id or "",
        "Tier": version.tier,
        "DataType": version.data_type,
    }[key]


def _one(key: str, option: str, values: list[str]) -> Predicate:
    if key == "Name":
        if option == "Contains":
            return lambda v: any(w in v.name for w in values)
        return lambda v: any(_compare(option, v.key, name_key(w)) for w in values)
    if key == "Path":
        prefixes = [w.rstrip("/") + "/" for w in values]
        recursive = option == "Recursive"
        return lambda v: any(in_path(v.name, p, recursive=recursive) for p in prefixes)
    if key == "Label":
        return lambda v: any(label in v.labels for label in values)
    if key.startswith("tag:"):
        tag = key[4:]
        if not values:
            return lambda v: tag in v.tags
        return lambda v: tag in v.tags and any(_compare(option, v.tags[tag], w) for w in values)
    return lambda v: any(_compare(option, _field(v, key), w) for w in values)


def parameter_filters(raw: Any, allowed: Sequence[str]) -> list[tuple[str, Predicate]]:
    """``ParameterFilters`` as (key, predicate) pairs; AWS's errors for bad keys or options."""
    predicates: list[tuple[str, Predicate]] = []
    for item in raw or []:
        key = str(item.get("Key", ""))
        family = "tag" if key.startswith("tag:") and len(key) > 4 else key
        if family not in (*allowed, "tag"):
            raise _fail("InvalidFilterKey", "key", key, [*allowed, "tag:<key>"])
        option = str(item.get("Option") or ("OneLevel" if key == "Path" else "Equals"))
        if option not in _OPTIONS[family]:
            raise _fail("InvalidFilterOption", "option", option, _OPTIONS[family])
        values = [str(v) for v in item.get("Values") or []]
        if not values and family != "tag":
            raise AwsError("InvalidFilterValue", f"The filter {key} needs at least one value.")
        for value in values:
            if key == "Type" and value not in TYPES:
                raise _fail("InvalidFilterValue", "value", value, TYPES)
            if key == "Tier" and value not in TIERS:
                raise _fail("InvalidFilterValue", "value", value, TIERS)
        predicates.append((key, _one(key, option, values)))
    return predicates


def legacy_filters(raw: Any) -> list[Predicate]:
    """DescribeParameters' older ``Filters``: Name (begins with), Type, KeyId (equal)."""
    predicates: list[Predicate] = []
    for item in raw or []:
        key = str(item.get("Key", ""))
        if key not in _LEGACY_KEYS:
            raise _fail("InvalidFilterKey", "key", key, _LEGACY_KEYS)
        values = [str(v) for v in item.get("Values") or []]
        predicates.append(_one(key, "BeginsWith" if key == "Name" else "Equals", values))
    return predicates


def encode_token(position: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": position}).encode()).decode()


def decode_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        after = decoded["after"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise AwsError("InvalidNextToken", "The specified token isn't valid.") from exc
    if not isinstance(after, str):
        raise AwsError("InvalidNextToken", "The specified token isn't valid.")
    return after


def page_size(raw: Any, *, maximum: int, default: int, field: str = "maxResults") -> int:
    if raw is None:
        return default
    if not isinstance(raw, int) or not 1 <= raw <= maximum:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{raw}' at '{field}' failed to satisfy "
            f"constraint: Member must have value less than or equal to {maximum}",
        )
    return raw
