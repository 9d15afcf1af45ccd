"""BatchGetItem (up to 100 keys, 16 MB) and BatchWriteItem (up to 25 puts or deletes).

serverlite is never throttled, so BatchWriteItem always answers with empty
UnprocessedItems; BatchGetItem returns keys past the 16 MB response limit in
UnprocessedKeys, as AWS does.
"""

from __future__ import annotations

import json
from typing import Any

from .capacity import Consumed, read_mode, read_units
from .context import Context
from .errors import constraint, validation
from .expressions import Placeholders, project
from .keys import parse_key
from .ops_items import projection_of
from .writes import Write, plan_delete, plan_put

MAX_GET_KEYS = 100
MAX_WRITES = 25
RESPONSE_BYTES = 16 * 1024 * 1024
DUPLICATES = "Provided list of item keys contains duplicates"


def _request_items(body: dict[str, Any]) -> dict[str, Any]:
    requests = body.get("RequestItems")
    if not isinstance(requests, dict) or not requests:
        raise constraint("{}", "requestItems", "Member must have length greater than or equal to 1")
    return requests


def _fingerprint(key: dict[str, Any]) -> str:
    return json.dumps(key, sort_keys=True)


def batch_get_item(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    mode = read_mode(body)
    requests = _request_items(body)
    total = sum(len(spec.get("Keys") or []) for spec in requests.values())
    if total > MAX_GET_KEYS:
        raise validation("Too many items requested for the BatchGetItem call")
    plans = []
    for name, spec in requests.items():
        placeholders = Placeholders(spec.get("ExpressionAttributeNames"))
        projection = projection_of(spec, placeholders)
        placeholders.check_unused()
        table = ctx.table(name)
        keys = [parse_key(table, key) for key in spec.get("Keys") or []]
        if not keys:
            raise constraint(
                "[]", "requestItems.keys", "Member must have length greater than or equal to 1"
            )
        if len({_fingerprint(k) for k in keys}) != len(keys):
            raise validation(DUPLICATES)
        plans.append((name, spec, table, keys, projection))
    responses: dict[str, list[Any]] = {}
    unprocessed: dict[str, Any] = {}
    consumed: dict[str, Consumed] = {}
    returned = 0
    for name, spec, table, keys, projection in plans:
        found = responses.setdefault(name, [])
        used = consumed.setdefault(name, Consumed(table.name, "Read"))
        consistent = bool(spec.get("ConsistentRead"))
        for position, key in enumerate(keys):
            if returned > RESPONSE_BYTES:
                rest = {k: v for k, v in spec.items() if k != "Keys"}
                unprocessed[name] = {**rest, "Keys": keys[position:]}
                break
            stored = ctx.storage.get(table, key)
            used.table += read_units(stored.size if stored else 0, consistent)
            if stored is not None:
                returned += stored.size
                found.append(project(stored.item, projection) if projection else stored.item)
    result: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if mode != "NONE":
        result["ConsumedCapacity"] = [c.render(mode) for c in consumed.values()]
    return result


def batch_write_item(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    mode = read_mode(body)
    requests = _request_items(body)
    total = sum(len(r) if isinstance(r, list) else 0 for r in requests.values())
    if total > MAX_WRITES:
        raise validation("Too many items requested for the BatchWriteItem call")
    writes: list[Write] = []
    for name, entries in requests.items():
        if not isinstance(entries, list) or not entries:
            raise constraint(
                "[]", "requestItems", "Member must have length greater than or equal to 1"
            )
        table = ctx.table(name)
        seen: set[str] = set()
        for entry in entries:
            if not isinstance(entry, dict) or len(entry) != 1:
                raise validation(
                    "Supplied AttributeValue has more than one datatypes set, must contain "
                    "exactly one of the supported datatypes"
                )
            if "PutRequest" in entry:
                write = plan_put(table, entry["PutRequest"])
            elif "DeleteRequest" in entry:
                write = plan_delete(table, entry["DeleteRequest"])
            else:
                raise validation("Invalid BatchWriteItem request: PutRequest or DeleteRequest")
            fingerprint = _fingerprint(write.key)
            if fingerprint in seen:
                raise validation(DUPLICATES)
            seen.add(fingerprint)
            writes.append(write)
    consumed: dict[str, Consumed] = {}
    with ctx.storage.transaction():
        for write in writes:
            resolved = write.resolve(ctx.storage)
            resolved.commit(ctx.storage)
            used = resolved.consumed()
            consumed.setdefault(used.table_name, Consumed(used.table_name, "Write")).merge(used)
    result: dict[str, Any] = {"UnprocessedItems": {}}
    if mode != "NONE":
        result["ConsumedCapacity"] = [c.render(mode) for c in consumed.values()]
    return result
