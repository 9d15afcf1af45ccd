"""Parameter Store's reads: GetParameter(s), GetParametersByPath, DescribeParameters,
GetParameterHistory."""

from __future__ import annotations

from typing import Any

from serverlite.aws.backend import AwsError

from . import filters, names
from .context import ParameterStore, name_list, not_found, text_field
from .records import ParameterVersion


def get_parameter(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    reference = names.parse_reference(text_field(body, "Name", required=True) or "")
    record = store.find(reference)
    decrypt = bool(body.get("WithDecryption"))
    return {"Parameter": store.parameter(record, decrypt, reference.selector)}


def get_parameters(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    decrypt = bool(body.get("WithDecryption"))
    found: list[dict[str, Any]] = []
    invalid: list[str] = []
    for text in name_list(body):
        try:
            reference = names.parse_reference(text)
            record = store.find(reference)
        except AwsError as exc:
            if exc.code == "ValidationException":
                raise
            invalid.append(text)
            continue
        found.append(store.parameter(record, decrypt, reference.selector))
    return {"Parameters": found, "InvalidParameters": invalid}


def get_parameters_by_path(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    prefix = names.check_path(text_field(body, "Path", required=True) or "")
    recursive = bool(body.get("Recursive"))
    predicates = filters.parameter_filters(body.get("ParameterFilters"), filters.BY_PATH_KEYS)
    by_label = any(key == "Label" for key, _ in predicates)
    limit = filters.page_size(body.get("MaxResults"), maximum=10, default=10)
    after = filters.decode_token(text_field(body, "NextToken")) or ""
    decrypt = bool(body.get("WithDecryption"))
    page: list[ParameterVersion] = []
    more = False
    for latest in store.db.all_latest(prefix, after):
        if not names.in_path(latest.name, prefix, recursive=recursive):
            continue
        # A Label filter selects the version carrying the label, not the latest one.
        candidates = reversed(store.db.history(latest.key)) if by_label else [latest]
        match = next((v for v in candidates if all(p(v) for _, p in predicates)), None)
        if match is None:
            continue
        if len(page) == limit:
            more = True
            break
        page.append(match)
    response: dict[str, Any] = {"Parameters": [store.parameter(r, decrypt) for r in page]}
    if more:
        response["NextToken"] = filters.encode_token(page[-1].key)
    return response


def describe_parameters(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("Filters") and body.get("ParameterFilters"):
        raise AwsError(
            "ValidationException",
            "You can use either Filters or ParameterFilters in a single request.",
        )
    keyed = filters.parameter_filters(body.get("ParameterFilters"), filters.DESCRIBE_KEYS)
    predicates = [p for _, p in keyed] + filters.legacy_filters(body.get("Filters"))
    limit = filters.page_size(body.get("MaxResults"), maximum=50, default=10)
    after = filters.decode_token(text_field(body, "NextToken")) or ""
    matching = [r for r in store.db.all_latest("/", after) if all(p(r) for p in predicates)]
    response: dict[str, Any] = {"Parameters": [store.metadata(r) for r in matching[:limit]]}
    if len(matching) > limit:
        response["NextToken"] = filters.encode_token(matching[limit - 1].key)
    return response


def get_parameter_history(store: ParameterStore, body: dict[str, Any]) -> dict[str, Any]:
    name = text_field(body, "Name", required=True) or ""
    names.check_name(name)
    limit = filters.page_size(body.get("MaxResults"), maximum=50, default=50)
    after = filters.decode_token(text_field(body, "NextToken"))
    if after is not None and not after.isdigit():
        raise AwsError("InvalidNextToken", "The specified token isn't valid.")
    history = store.db.history(names.name_key(name), int(after) if after else 0)
    if not history and after is None:
        raise not_found()
    decrypt = bool(body.get("WithDecryption"))
    entries = []
    for record in history[:limit]:
        entry = store.metadata(record)
        del entry["ARN"]
        entry["Value"] = store.value_of(record, decrypt)
        entry["Labels"] = list(record.labels)
        entries.append(entry)
    response: dict[str, Any] = {"Parameters": entries}
    if len(history) > limit:
        response["NextToken"] = filters.encode_token(str(history[limit - 1].version))
    return response
