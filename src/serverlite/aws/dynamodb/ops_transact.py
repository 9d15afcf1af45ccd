"""TransactWriteItems and TransactGetItems.

A write transaction checks every condition against the items as they were before it,
then commits all of its writes in one SQLite transaction, or none: a failed
condition cancels it with ``TransactionCanceledException`` whose CancellationReasons
hold one entry per action, in order (``{"Code": "None"}`` for the ones that were
fine). A ClientRequestToken makes it idempotent for 10 minutes: the same token with
the same request answers again without writing again; with another request it is an
``IdempotentParameterMismatchException``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from serverlite.aws.backend import AwsError

from .capacity import Consumed, read_mode, read_units
from .context import Context
from .errors import CONDITION_FAILED_MESSAGE, constraint, validation
from .expressions import Placeholders, project
from .keys import parse_key
from .ops_items import projection_of
from .writes import ConditionFailed, Resolved, Write, plan_check, plan_delete, plan_put, plan_update

MAX_ACTIONS = 100
TOKEN_SECONDS = 600
_PLANNERS = {
    "ConditionCheck": plan_check,
    "Put": plan_put,
    "Update": plan_update,
    "Delete": plan_delete,
}
MULTIPLE = "Transaction request cannot include multiple operations on one item"


def _items(body: dict[str, Any]) -> list[Any]:
    items = body.get("TransactItems")
    if not isinstance(items, list) or not items:
        raise constraint(
            "[]", "transactItems", "Member must have length greater than or equal to 1"
        )
    if len(items) > MAX_ACTIONS:
        raise constraint(
            "[...]", "transactItems", "Member must have length less than or equal to 100"
        )
    return items


def _identity(write: Write) -> str:
    return json.dumps([write.table.name, write.key], sort_keys=True)


def _plan(ctx: Context, entry: Any) -> tuple[Write, dict[str, Any]]:
    if not isinstance(entry, dict) or len(entry) != 1 or next(iter(entry)) not in _PLANNERS:
        raise validation("TransactItems can only contain one of Check, Put, Update or Delete")
    kind, spec = next(iter(entry.items()))
    table = ctx.table(spec.get("TableName"))
    return _PLANNERS[kind](table, spec), spec


def transact_write_items(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    mode = read_mode(body)
    entries = _items(body)
    token = body.get("ClientRequestToken")
    digest = hashlib.sha256(
        json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    now = ctx.clock()
    if token is not None:
        previous = ctx.storage.find_token(str(token), now - TOKEN_SECONDS)
        if previous is not None:
            if previous[0] != digest:
                raise AwsError(
                    "IdempotentParameterMismatchException",
                    "Requested parameters don't match the parameters of the previous request "
                    "with the same client request token",
                )
            answer: dict[str, Any] = json.loads(previous[1])
            return answer
    planned = [_plan(ctx, entry) for entry in entries]
    seen: set[str] = set()
    for write, _ in planned:
        identity = _identity(write)
        if identity in seen:
            raise validation(MULTIPLE)
        seen.add(identity)
    result: dict[str, Any] = {}
    with ctx.storage.transaction():
        resolved = _resolve_all(ctx, planned)
        consumed: dict[str, Consumed] = {}
        for outcome in resolved:
            outcome.commit(ctx.storage)
            used = outcome.consumed().scaled(2)  # transactions cost double
            consumed.setdefault(used.table_name, Consumed(used.table_name, "Write")).merge(used)
        if mode != "NONE":
            result["ConsumedCapacity"] = [c.render(mode) for c in consumed.values()]
        if token is not None:
            ctx.storage.save_token(str(token), digest, now, json.dumps(result))
    return result


def _resolve_all(ctx: Context, planned: list[tuple[Write, dict[str, Any]]]) -> list[Resolved]:
    resolved: list[Resolved] = []
    reasons: list[dict[str, Any]] = []
    failed = False
    for write, spec in planned:
        try:
            resolved.append(write.resolve(ctx.storage))
            reasons.append({"Code": "None"})
        except ConditionFailed as condition:
            failed = True
            reason: dict[str, Any] = {
                "Code": "ConditionalCheckFailed",
                "Message": CONDITION_FAILED_MESSAGE,
            }
            wanted = spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
            if wanted and condition.old is not None:
                reason["Item"] = condition.old
            reasons.append(reason)
        except AwsError as error:
            if error.code != "ValidationException":
                raise
            failed = True
            reasons.append({"Code": "ValidationError", "Message": error.message})
    if failed:
        codes = ", ".join(reason["Code"] for reason in reasons)
        raise AwsError(
            "TransactionCanceledException",
            f"Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{codes}]",
            CancellationReasons=reasons,
        )
    return resolved


def transact_get_items(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    mode = read_mode(body)
    entries = _items(body)
    gets = []
    seen: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) != {"Get"}:
            raise validation("TransactItems can only contain one of Get")
        spec = entry["Get"]
        placeholders = Placeholders(spec.get("ExpressionAttributeNames"))
        projection = projection_of(spec, placeholders)
        placeholders.check_unused()
        table = ctx.table(spec.get("TableName"))
        key = parse_key(table, spec.get("Key"))
        identity = json.dumps([table.name, key], sort_keys=True)
        if identity in seen:
            raise validation(MULTIPLE)
        seen.add(identity)
        gets.append((table, key, projection))
    responses: list[dict[str, Any]] = []
    consumed: dict[str, Consumed] = {}
    for table, key, projection in gets:
        stored = ctx.storage.get(table, key)
        used = consumed.setdefault(table.name, Consumed(table.name, "Read"))
        used.table += 2 * read_units(stored.size if stored else 0, consistent=True)
        if stored is None:
            responses.append({})
        else:
            responses.append(
                {"Item": project(stored.item, projection) if projection else stored.item}
            )
    result: dict[str, Any] = {"Responses": responses}
    if mode != "NONE":
        result["ConsumedCapacity"] = [c.render(mode) for c in consumed.values()]
    return result
