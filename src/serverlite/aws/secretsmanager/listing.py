"""ListSecrets and DescribeSecret shapes, ListSecrets filters and sorting, and paging."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from serverlite.aws.backend import AwsError

from .records import Secret
from .staging import versions_to_stages

T = TypeVar("T")
_FILTER_KEYS = (
    "description",
    "name",
    "tag-key",
    "tag-value",
    "primary-region",
    "owning-service",
    "all",
)
_SORT_KEYS: Mapping[str, Callable[[Secret], Any]] = {
    "created-date": lambda s: (s.created, s.name),
    "last-accessed-date": lambda s: (s.last_accessed or 0.0, s.name),
    "last-changed-date": lambda s: (s.last_changed, s.name),
    "name": lambda s: s.name,
}


def secret_shape(secret: Secret) -> dict[str, Any]:
    """A SecretListEntry; DescribeSecret gives the same with VersionIdsToStages."""
    shape: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
    if secret.description:
        shape["Description"] = secret.description
    if secret.kms_key_id:
        shape["KmsKeyId"] = secret.kms_key_id
    shape["LastChangedDate"] = secret.last_changed
    if secret.last_accessed is not None:
        shape["LastAccessedDate"] = secret.last_accessed
    if secret.deleted is not None:
        # DeletedDate is when DeleteSecret was called; DeleteSecret's own response
        # carries the DeletionDate at the end of the recovery window.
        shape["DeletedDate"] = secret.deleted
    if secret.tags:
        shape["Tags"] = [{"Key": k, "Value": v} for k, v in secret.tags]
    shape["SecretVersionsToStages"] = versions_to_stages(secret.stages)
    shape["CreatedDate"] = secret.created
    return shape


def _words(secret: Secret, region: str) -> list[str]:
    return [
        secret.name,
        secret.description,
        region,
        *(k for k, _ in secret.tags),
        *(v for _, v in secret.tags),
    ]


def _matches(secret: Secret, key: str, value: str, region: str) -> bool:
    if key == "all":
        haystack = " ".join(_words(secret, region)).lower()
        return all(word in haystack for word in value.lower().split())
    if key == "description":
        return secret.description.lower().startswith(value.lower())
    fields = {
        "name": [secret.name],
        "tag-key": [k for k, _ in secret.tags],
        "tag-value": [v for _, v in secret.tags],
        "primary-region": [region],
        "owning-service": [],
    }[key]
    return any(field.startswith(value) for field in fields)


def _predicate(raw: Mapping[str, Any], region: str) -> Callable[[Secret], bool]:
    key = str(raw.get("Key", ""))
    if key not in _FILTER_KEYS:
        raise AwsError(
            "InvalidParameterException",
            f"Invalid filter key {key!r}: use one of {', '.join(_FILTER_KEYS)}.",
        )
    values = [str(v) for v in raw.get("Values") or []]
    positive = [v for v in values if not v.startswith("!")]
    negative = [v[1:] for v in values if v.startswith("!")]

    def test(secret: Secret) -> bool:
        if any(_matches(secret, key, v, region) for v in negative):
            return False
        return not positive or any(_matches(secret, key, v, region) for v in positive)

    return test


def list_secrets(secrets: Sequence[Secret], body: Mapping[str, Any], region: str) -> dict[str, Any]:
    predicates = [_predicate(f, region) for f in body.get("Filters") or []]
    if not body.get("IncludePlannedDeletion"):
        secrets = [s for s in secrets if s.deleted is None]
    chosen = [s for s in secrets if all(p(s) for p in predicates)]
    sort_by = str(body.get("SortBy") or "created-date")
    if sort_by not in _SORT_KEYS:
        raise AwsError("InvalidParameterException", f"Invalid SortBy {sort_by!r}.")
    chosen.sort(key=_SORT_KEYS[sort_by], reverse=body.get("SortOrder") == "desc")
    page, token = paginate(chosen, body, key=lambda s: s.arn)
    response: dict[str, Any] = {"SecretList": [secret_shape(s) for s in page]}
    if token:
        response["NextToken"] = token
    return response


def paginate(
    items: Sequence[T], body: Mapping[str, Any], key: Callable[[T], str]
) -> tuple[list[T], str | None]:
    """One page of ``items`` after the one NextToken names; the next token, if any."""
    limit = body.get("MaxResults", 100)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise AwsError("InvalidParameterException", "MaxResults must be between 1 and 100.")
    start = 0
    token = body.get("NextToken")
    if token is not None:
        after = _decode(token)
        keys = [key(item) for item in items]
        if after not in keys:
            raise AwsError("InvalidNextTokenException", "The NextToken value is invalid.")
        start = keys.index(after) + 1
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    return page, _encode(key(page[-1])) if more and page else None


def _encode(position: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": position}).encode()).decode()


def _decode(token: Any) -> str:
    try:
        after = json.loads(base64.urlsafe_b64decode(str(token).encode()))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise AwsError("InvalidNextTokenException", "The NextToken value is invalid.") from exc
    return str(after)
