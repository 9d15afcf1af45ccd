"""Query and Scan, on tables and on secondary indexes.

A page ends after ``Limit`` items were read (before the filter, as on AWS) or once
1 MB was read; then ``LastEvaluatedKey`` names the last item read. Like DynamoDB,
serverlite does not look ahead: a page that ends exactly at the last item still
carries a LastEvaluatedKey, and the next page is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from serverlite.aws.backend import AwsError

from . import legacy
from .capacity import Consumed, read_mode, read_units
from .context import Context, choice
from .encoding import encode_key, partition_hash, segment_range
from .errors import constraint, validation
from .expressions import Placeholders, evaluate, parse_condition, project
from .expressions.ast import Condition, Path
from .expressions.evaluate import paths_in
from .key_condition import key_range
from .keys import KEY_MISMATCH
from .ops_items import projection_of
from .schema import IndexDef, TableDef
from .types import Item, canonical_item, type_of

PAGE_BYTES = 1024 * 1024
_SELECT = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


@dataclass
class ReadPlan:
    table: TableDef
    index: IndexDef | None
    select: str
    projection: tuple[Path, ...] | None
    filter: Condition | None
    limit: int | None
    consistent: bool
    mode: str

    @property
    def key_names(self) -> tuple[str, ...]:
        """What a LastEvaluatedKey holds: the table's keys, and the index's."""
        names = list(self.table.key_names)
        if self.index is not None:
            names += [n for n in self.index.key_names if n not in names]
        return tuple(names)

    def shape(self, item: Item) -> Item:
        """The item as this read sees it: an index's projection, then the request's."""
        if self.index is not None and (
            self.index.kind == "GSI" or self.select == "ALL_PROJECTED_ATTRIBUTES"
        ):
            item = self.table.projected(self.index, item)
        return project(item, self.projection) if self.projection else item

    def filter_view(self, item: Item) -> Item:
        """What a filter sees: a GSI holds only its projected attributes."""
        if self.index is not None and self.index.kind == "GSI":
            return self.table.projected(self.index, item)
        return item


def _plan(ctx: Context, body: dict[str, Any], query: bool) -> tuple[ReadPlan, Placeholders]:
    mode = read_mode(body)
    select = choice(body, "Select", _SELECT, "")
    placeholders = Placeholders(
        body.get("ExpressionAttributeNames"), body.get("ExpressionAttributeValues")
    )
    expressions = ("ProjectionExpression", "FilterExpression", "KeyConditionExpression")
    if placeholders.given and not any(body.get(e) is not None for e in expressions):
        placeholders.check_without_expressions()
    legacy_filter = "QueryFilter" if query else "ScanFilter"
    condition: Condition | None = None
    if body.get("FilterExpression") is not None:
        if legacy_filter in body:
            raise validation(
                "Can not use both expression and non-expression parameters in the same "
                f"request: Non-expression parameters: {{{legacy_filter}}} Expression "
                "parameters: {FilterExpression}"
            )
        condition = parse_condition(body["FilterExpression"], "FilterExpression", placeholders)
    elif legacy_filter in body:
        condition = legacy.filters(body[legacy_filter], body.get("ConditionalOperator"))
    projection = projection_of(body, placeholders)
    table = ctx.table(body.get("TableName"))
    index = None
    if body.get("IndexName") is not None:
        index = table.index(body["IndexName"])
        if index is None:
            raise validation(f"The table does not have the specified index: {body['IndexName']}")
    consistent = bool(body.get("ConsistentRead"))
    if consistent and index is not None and index.kind == "GSI":
        raise validation("Consistent reads are not supported on global secondary indexes")
    limit = body.get("Limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise constraint(limit, "limit", "Member must have value greater than or equal to 1")
    select = _check_select(select, projection is not None, index, body)
    plan = ReadPlan(table, index, select, projection, condition, limit, consistent, mode)
    return plan, placeholders


def _check_select(
    select: str, projected: bool, index: IndexDef | None, body: dict[str, Any]
) -> str:
    what = "ProjectionExpression" if body.get("ProjectionExpression") else "AttributesToGet"
    if not select:
        if projected:
            return "SPECIFIC_ATTRIBUTES"
        return "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES"
    if select == "SPECIFIC_ATTRIBUTES" and not projected:
        raise validation(
            "1 validation error detected: Must specify the AttributesToGet or "
            "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES"
        )
    if select != "SPECIFIC_ATTRIBUTES" and projected:
        raise validation(
            f"1 validation error detected: Cannot specify the {what} when choosing to get {select}"
        )
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise validation(
            "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when "
            "Querying using an IndexName"
        )
    if (
        select == "ALL_ATTRIBUTES"
        and index is not None
        and index.kind == "GSI"
        and index.projection_type != "ALL"
    ):
        raise invalid_select(index)
    return select


def invalid_select(index: IndexDef) -> AwsError:
    return validation(
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not "
        f"supported for global secondary index {index.name} because its projection type "
        "is not ALL"
    )


def _start_key(plan: ReadPlan, raw: Any) -> Item | None:
    if raw is None:
        return None
    message = f"The provided starting key is invalid: {KEY_MISMATCH}"
    if not isinstance(raw, dict):
        raise validation(message)
    key = canonical_item(raw)
    if set(key) != set(plan.key_names):
        raise validation(message)
    for name, value in key.items():
        if type_of(value) != plan.table.attributes[name]:
            raise validation(message)
    return key


def _page(plan: ReadPlan, rows: Iterator[tuple[Item, int]]) -> dict[str, Any]:
    items: list[Item] = []
    count = scanned = read = 0
    last: Item | None = None
    stopped = False
    try:
        for item, size in rows:
            scanned += 1
            read += size
            last = item
            if plan.filter is None or evaluate(plan.filter, plan.filter_view(item)):
                count += 1
                if plan.select != "COUNT":
                    items.append(plan.shape(item))
            if (plan.limit is not None and scanned >= plan.limit) or read >= PAGE_BYTES:
                stopped = True
                break
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
    result: dict[str, Any] = {"Count": count, "ScannedCount": scanned}
    if plan.select != "COUNT":
        result["Items"] = items
    if stopped and last is not None:
        result["LastEvaluatedKey"] = {name: last[name] for name in plan.key_names}
    if plan.mode != "NONE":
        used = Consumed(plan.table.name, "Read")
        units = read_units(read, plan.consistent)
        if plan.index is None:
            used.table = units
        else:
            used.add_index(plan.index.name, plan.index.kind == "LSI", units)
        result["ConsumedCapacity"] = used.render(plan.mode)
    return result


def query(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    plan, placeholders = _plan(ctx, body, query=True)
    if body.get("KeyConditionExpression") is not None:
        if "KeyConditions" in body:
            raise validation(
                "Can not use both expression and non-expression parameters in the same "
                "request: Non-expression parameters: {KeyConditions} Expression parameters: "
                "{KeyConditionExpression}"
            )
        key_condition = parse_condition(
            body["KeyConditionExpression"], "KeyConditionExpression", placeholders
        )
    elif "KeyConditions" in body:
        key_condition = legacy.filters(body["KeyConditions"])
    else:
        raise validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
            "the request."
        )
    placeholders.check_unused()
    source = plan.index or plan.table
    keys = source.key_names
    if plan.filter is not None:
        for path in paths_in(plan.filter):
            if path.top in keys:
                raise validation(
                    "Filter Expression can only contain non-primary key attributes: "
                    f"Primary key attribute: {path.top}"
                )
    hash_key, range_key = keys[0], keys[1] if len(keys) > 1 else None
    where = key_range(key_condition, hash_key, range_key, plan.table.attributes)
    forward = body.get("ScanIndexForward", True) is not False
    start = _start_key(plan, body.get("ExclusiveStartKey"))
    after: tuple[bytes, ...] | None = None
    if start is not None:
        if encode_key(start[hash_key]) != encode_key(where.partition):
            raise validation(
                "The provided starting key is outside query boundaries based on provided conditions"
            )
        after = _query_position(plan, start)
    rows = ctx.storage.query(
        plan.table, plan.index, encode_key(where.partition), where.bounds, forward, after
    )
    return _page(plan, rows)


def _query_position(plan: ReadPlan, start: Item) -> tuple[bytes, ...]:
    table = plan.table
    sk = encode_key(start[table.range_key]) if table.range_key else b""
    if plan.index is None:
        return (sk,)
    index = plan.index
    isk = encode_key(start[index.range_key]) if index.range_key else b""
    return (isk, encode_key(start[table.hash_key]), sk)


def scan(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    plan, placeholders = _plan(ctx, body, query=False)
    placeholders.check_unused()
    segment, total = body.get("Segment"), body.get("TotalSegments")
    if segment is not None and total is None:
        raise validation(
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present"
        )
    if total is not None and segment is None:
        raise validation(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present"
        )
    hash_range = (0, 1 << 32)
    if total is not None:
        if not isinstance(total, int) or not 1 <= total <= 1000000:
            raise constraint(
                total, "totalSegments", "Member must have value less than or equal to 1000000"
            )
        if not isinstance(segment, int) or not 0 <= segment < total:
            raise validation(
                "The Segment parameter is zero-based and must be less than parameter "
                "TotalSegments: Segment: "
                f"{segment} is not less than TotalSegments: {total}"
            )
        hash_range = segment_range(segment, total)
    start = _start_key(plan, body.get("ExclusiveStartKey"))
    after = _scan_position(plan, start) if start is not None else None
    return _page(plan, ctx.storage.scan(plan.table, plan.index, hash_range, after))


def _scan_position(plan: ReadPlan, start: Item) -> tuple[Any, ...]:
    table = plan.table
    pk = encode_key(start[table.hash_key])
    sk = encode_key(start[table.range_key]) if table.range_key else b""
    if plan.index is None:
        return (partition_hash(pk), pk, sk)
    index = plan.index
    ipk = encode_key(start[index.hash_key])
    isk = encode_key(start[index.range_key]) if index.range_key else b""
    return (partition_hash(ipk), ipk, isk, pk, sk)
