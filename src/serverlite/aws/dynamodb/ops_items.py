"""GetItem, PutItem, UpdateItem, DeleteItem."""

from __future__ import annotations

from typing import Any

from . import legacy
from .capacity import Consumed, read_mode, read_units
from .context import Context, choice
from .errors import validation
from .expressions import Placeholders, parse_projection, project
from .expressions.ast import Path
from .keys import parse_key
from .writes import ConditionFailed, Write, condition_error, plan_delete, plan_put, plan_update

_FAILURE_MODES = ("ALL_OLD", "NONE")


def projection_of(body: dict[str, Any], placeholders: Placeholders) -> tuple[Path, ...] | None:
    """ProjectionExpression or (legacy) AttributesToGet, or None for whole items."""
    expression = body.get("ProjectionExpression")
    if expression is not None:
        if "AttributesToGet" in body:
            raise validation(
                "Can not use both expression and non-expression parameters in the same "
                "request: Non-expression parameters: {AttributesToGet} Expression parameters: "
                "{ProjectionExpression}"
            )
        return parse_projection(expression, placeholders)
    if "AttributesToGet" in body:
        return legacy.attributes_to_get(body["AttributesToGet"])
    return None


def get_item(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    mode = read_mode(body)
    placeholders = Placeholders(
        body.get("ExpressionAttributeNames"), body.get("ExpressionAttributeValues")
    )
    if placeholders.given and body.get("ProjectionExpression") is None:
        placeholders.check_without_expressions()
    projection = projection_of(body, placeholders)
    placeholders.check_unused()
    table = ctx.table(body.get("TableName"))
    key = parse_key(table, body.get("Key"))
    stored = ctx.storage.get(table, key)
    result: dict[str, Any] = {}
    if stored is not None:
        result["Item"] = project(stored.item, projection) if projection else stored.item
    if mode != "NONE":
        used = Consumed(table.name, "Read")
        used.table = read_units(stored.size if stored else 0, bool(body.get("ConsistentRead")))
        result["ConsumedCapacity"] = used.render(mode)
    return result


def _run(ctx: Context, write: Write, body: dict[str, Any], returns: str) -> dict[str, Any]:
    mode = read_mode(body)
    try:
        with ctx.storage.transaction():
            resolved = write.resolve(ctx.storage)
            resolved.commit(ctx.storage)
    except ConditionFailed as failed:
        raise condition_error(failed, body) from None
    result: dict[str, Any] = {}
    paths = write.update.paths if write.update is not None else ()
    attributes = resolved.return_values(returns, paths)
    if attributes:
        result["Attributes"] = attributes
    if mode != "NONE":
        result["ConsumedCapacity"] = resolved.consumed().render(mode)
    return result


def put_item(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    returns = choice(body, "ReturnValues", ("NONE", "ALL_OLD"), "NONE")
    choice(body, "ReturnValuesOnConditionCheckFailure", _FAILURE_MODES, "NONE")
    table = ctx.table(body.get("TableName"))
    return _run(ctx, plan_put(table, body, single=True), body, returns)


def delete_item(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    returns = choice(body, "ReturnValues", ("NONE", "ALL_OLD"), "NONE")
    choice(body, "ReturnValuesOnConditionCheckFailure", _FAILURE_MODES, "NONE")
    table = ctx.table(body.get("TableName"))
    return _run(ctx, plan_delete(table, body, single=True), body, returns)


def update_item(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    returns = choice(
        body,
        "ReturnValues",
        ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"),
        "NONE",
    )
    choice(body, "ReturnValuesOnConditionCheckFailure", _FAILURE_MODES, "NONE")
    table = ctx.table(body.get("TableName"))
    return _run(ctx, plan_update(table, body, single=True), body, returns)
