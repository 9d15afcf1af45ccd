"""One write to one item: Put, Update, Delete or ConditionCheck, planned then applied.

``plan_*`` parse and validate a request's parameters (nothing read yet);
``Write.resolve`` reads the current item, checks the condition and computes the new
item; ``Resolved.commit`` stores it. PutItem/UpdateItem/DeleteItem run one write,
TransactWriteItems resolves all of them before committing any.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import AwsError

from . import legacy
from .capacity import Consumed, write_units
from .errors import condition_failed, invalid_parameter, validation
from .expressions import Placeholders, apply, evaluate, parse_condition, parse_update, project
from .expressions.ast import Condition, Path, Update
from .keys import (
    check_index_values,
    check_item_keys,
    check_item_size,
    index_key,
    parse_key,
)
from .schema import TableDef
from .storage import Storage, Stored
from .types import Item, canonical_item, item_size


class ConditionFailed(Exception):
    """The write's condition was false; ``old`` is the item it was checked against."""

    def __init__(self, old: Item | None) -> None:
        super().__init__("The conditional request failed")
        self.old = old


@dataclass
class Write:
    kind: str  # "Put" | "Update" | "Delete" | "ConditionCheck"
    table: TableDef
    key: Item
    condition: Condition | None = None
    item: Item | None = None  # Put
    update: Update | None = None  # Update

    def resolve(self, storage: Storage) -> Resolved:
        old = storage.get(self.table, self.key)
        if self.condition is not None and not evaluate(self.condition, old.item if old else None):
            raise ConditionFailed(old.item if old else None)
        if self.kind == "ConditionCheck":
            return Resolved(self, old, old.item if old else None, 0, keep=True)
        if self.kind == "Delete":
            return Resolved(self, old, None, 0)
        if self.kind == "Put":
            assert self.item is not None
            return Resolved(self, old, self.item, item_size(self.item))
        base = old.item if old else dict(self.key)
        new = apply(self.update, base) if self.update is not None else dict(base)
        check_index_values(self.table, new, updating=True)
        size = check_item_size(new, updating=True)
        return Resolved(self, old, new, size)


@dataclass
class Resolved:
    write: Write
    old: Stored | None
    new: Item | None
    size: int
    keep: bool = False  # a ConditionCheck: nothing to store

    def commit(self, storage: Storage) -> None:
        if self.keep:
            return
        if self.new is None:
            if self.old is not None:
                storage.delete(self.write.table, self.old)
        else:
            storage.put(self.write.table, self.new, self.size, self.old)

    def consumed(self) -> Consumed:
        table = self.write.table
        used = Consumed(table.name, "Write")
        old_size = self.old.size if self.old else 0
        used.table = write_units(max(old_size, self.size))
        if self.keep:
            return used
        old_item = self.old.item if self.old else None
        for index in table.indexes:
            before = index_key(table, index, old_item) if old_item else None
            after = index_key(table, index, self.new) if self.new else None
            units = 0.0
            if before is not None and before != after:
                assert old_item is not None
                units += write_units(item_size(table.projected(index, old_item)))
            if after is not None and self.new is not None:
                units += write_units(item_size(table.projected(index, self.new)))
            if units:
                used.add_index(index.name, index.kind == "LSI", units)
        return used

    def return_values(self, mode: str, paths: tuple[Path, ...]) -> Item | None:
        old = self.old.item if self.old else None
        if mode == "ALL_OLD":
            return old
        if mode == "ALL_NEW":
            return self.new
        if mode == "UPDATED_OLD":
            return project(old, paths) if old else None
        if mode == "UPDATED_NEW":
            return project(self.new, paths) if self.new else None
        return None


# -- planning from request parameters ----------------------------------------------------


def _condition(body: dict[str, Any], placeholders: Placeholders) -> Condition | None:
    expression = body.get("ConditionExpression")
    if expression is not None:
        if "Expected" in body:
            raise validation(
                "Can not use both expression and non-expression parameters in the same "
                "request: Non-expression parameters: {Expected} Expression parameters: "
                "{ConditionExpression}"
            )
        return parse_condition(expression, "ConditionExpression", placeholders)
    if "Expected" in body:
        return legacy.expected(body["Expected"], body.get("ConditionalOperator"))
    return None


def _placeholders(
    body: dict[str, Any], expressions: tuple[str, ...], prefixed: bool
) -> Placeholders:
    placeholders = Placeholders(
        body.get("ExpressionAttributeNames"),
        body.get("ExpressionAttributeValues"),
        prefixed=prefixed,
    )
    if placeholders.given and not any(body.get(e) is not None for e in expressions):
        placeholders.check_without_expressions()
    return placeholders


def plan_put(table: TableDef, body: dict[str, Any], *, single: bool = False) -> Write:
    """``single``: a PutItem/UpdateItem/DeleteItem call (not a batch or transaction)."""
    placeholders = _placeholders(body, ("ConditionExpression",), single)
    condition = _condition(body, placeholders)
    placeholders.check_unused()
    item = canonical_item(body.get("Item"))
    check_item_keys(table, item)
    check_index_values(table, item)
    check_item_size(item)
    return Write("Put", table, table.key_of(item), condition, item=item)


def plan_delete(table: TableDef, body: dict[str, Any], *, single: bool = False) -> Write:
    placeholders = _placeholders(body, ("ConditionExpression",), single)
    condition = _condition(body, placeholders)
    placeholders.check_unused()
    return Write("Delete", table, parse_key(table, body.get("Key")), condition)


def plan_check(table: TableDef, body: dict[str, Any], *, single: bool = False) -> Write:
    placeholders = _placeholders(body, ("ConditionExpression",), single)
    if body.get("ConditionExpression") is None:
        raise validation(
            "1 validation error detected: Value null at 'conditionExpression' failed to "
            "satisfy constraint: Member must not be null"
        )
    condition = _condition(body, placeholders)
    placeholders.check_unused()
    return Write("ConditionCheck", table, parse_key(table, body.get("Key")), condition)


def plan_update(table: TableDef, body: dict[str, Any], *, single: bool = False) -> Write:
    placeholders = _placeholders(body, ("ConditionExpression", "UpdateExpression"), single)
    update: Update | None = None
    if body.get("UpdateExpression") is not None:
        if "AttributeUpdates" in body:
            raise validation(
                "Can not use both expression and non-expression parameters in the same "
                "request: Non-expression parameters: {AttributeUpdates} Expression "
                "parameters: {UpdateExpression}"
            )
        update = parse_update(body["UpdateExpression"], placeholders)
    elif "AttributeUpdates" in body:
        update = legacy.attribute_updates(body["AttributeUpdates"])
    condition = _condition(body, placeholders)
    placeholders.check_unused()
    key = parse_key(table, body.get("Key"))
    if update is not None:
        for path in update.paths:
            if path.top in table.key_names:
                raise invalid_parameter(
                    f"Cannot update attribute {path.top}. This attribute is part of the key"
                )
    return Write("Update", table, key, condition, update=update)


def condition_error(failed: ConditionFailed, body: dict[str, Any]) -> AwsError:
    wanted = body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
    return condition_failed(failed.old if wanted and failed.old else None)
