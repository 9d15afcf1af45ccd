"""CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable, TTL and tags.

Tables are usable the moment CreateTable returns. Its response says ``CREATING`` (as
AWS's does) and the next DescribeTable says ``ACTIVE``, so waiters finish at once;
UpdateTable and DeleteTable answer ``UPDATING`` / ``DELETING`` the same way.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from .context import Context
from .errors import in_use, limit_exceeded, not_found, table_not_found, validation
from .schema import TableDef, describe
from .table_input import (
    check_index_keys,
    check_table_name,
    parse_attributes,
    parse_create_table,
    parse_index,
    parse_throughput,
    stream_label,
)


def _existing(ctx: Context, body: dict[str, Any]) -> TableDef:
    name = check_table_name(body.get("TableName"))
    table = ctx.storage.tables.get(name)
    if table is None:
        raise table_not_found(name)
    return table


def create_table(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    created = create(ctx, body)
    return {
        "TableDescription": describe(
            created,
            status="CREATING",
            index_status={index.name: "CREATING" for index in created.gsis},
        )
    }


def create(ctx: Context, body: dict[str, Any], label: str | None = None) -> TableDef:
    """``label``: the stream label to give (a template's table), instead of the time."""
    name = str(body.get("TableName"))
    table = parse_create_table(
        body, arn=ctx.table_arn(name), table_id=str(uuid.uuid4()), created=ctx.clock()
    )
    if label is not None and table.stream is not None:
        table = dataclasses.replace(table, stream_label=label)
    if table.name in ctx.storage.tables:
        raise in_use(f"Table already exists: {table.name}")
    with ctx.storage.transaction():
        return ctx.storage.create_table(table)


def describe_table(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    table = _existing(ctx, body)
    return {"Table": describe(table, counts=ctx.storage.counts(table))}


def list_tables(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    limit = body.get("Limit", 100)
    if not isinstance(limit, int) or not 1 <= limit <= 100:
        raise validation(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
            "constraint: Member must have value less than or equal to 100"
        )
    names = sorted(ctx.storage.tables)
    start = body.get("ExclusiveStartTableName")
    if start is not None:
        names = [name for name in names if name > start]
    result: dict[str, Any] = {"TableNames": names[:limit]}
    if len(names) > limit:
        result["LastEvaluatedTableName"] = names[limit - 1]
    return result


def delete_table(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    table = _existing(ctx, body)
    if table.deletion_protection:
        raise validation(
            f"1 validation error detected: Table '{table.name}' can't be deleted while "
            "DeletionProtectionEnabled is set to True"
        )
    description = describe(table, status="DELETING", counts=ctx.storage.counts(table))
    with ctx.storage.transaction():
        ctx.storage.drop_table(table)
    return {"TableDescription": description}


def _billing(ctx: Context, table: TableDef, body: dict[str, Any]) -> TableDef:
    mode = body.get("BillingMode") or table.billing_mode
    if mode not in ("PROVISIONED", "PAY_PER_REQUEST"):
        raise validation(
            f"1 validation error detected: Value '{mode}' at 'billingMode' failed to satisfy "
            "constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
        )
    throughput = body.get("ProvisionedThroughput")
    if mode == table.billing_mode and throughput is None:
        return table
    read, write = parse_throughput(throughput, mode, "table")
    switched = table.billing_switched
    if mode == "PAY_PER_REQUEST" and table.billing_mode != mode:
        switched = ctx.clock()
    gsis = table.gsis
    if mode == "PAY_PER_REQUEST":
        gsis = tuple(dataclasses.replace(i, read_capacity=0, write_capacity=0) for i in gsis)
    return dataclasses.replace(
        table,
        billing_mode=mode,
        read_capacity=read,
        write_capacity=write,
        billing_switched=switched,
        gsis=gsis,
    )


def _index_updates(table: TableDef, body: dict[str, Any]) -> tuple[TableDef, set[str], set[str]]:
    """The table with GlobalSecondaryIndexUpdates applied; (created, deleted) names."""
    updates = body.get("GlobalSecondaryIndexUpdates") or []
    structural = [u for u in updates if "Create" in u or "Delete" in u]
    if len(structural) > 1:
        raise limit_exceeded(
            "Subscriber limit exceeded: Only 1 online index can be created or deleted "
            "simultaneously per table"
        )
    if "AttributeDefinitions" in body:
        attributes = {**table.attributes, **parse_attributes(body["AttributeDefinitions"])}
        table = dataclasses.replace(table, attributes=attributes)
    created: set[str] = set()
    deleted: set[str] = set()
    for update in updates:
        if "Create" in update:
            index = parse_index(update["Create"], "GSI", table.billing_mode)
            if table.index(index.name) is not None:
                raise validation(
                    "One or more parameter values were invalid: Attempting to create an "
                    f"index which already exists: {index.name}"
                )
            table = dataclasses.replace(table, gsis=(*table.gsis, index))
            created.add(index.name)
        elif "Delete" in update:
            name = update["Delete"].get("IndexName")
            if name not in {i.name for i in table.gsis}:
                raise not_found(
                    "Requested resource not found: Attempting to delete an index which does "
                    f"not exist: {name}"
                )
            table = dataclasses.replace(table, gsis=tuple(i for i in table.gsis if i.name != name))
            deleted.add(name)
        elif "Update" in update:
            name = update["Update"].get("IndexName")
            current = next((i for i in table.gsis if i.name == name), None)
            if current is None:
                raise not_found(f"Requested resource not found: Index: {name} not found")
            read, write = parse_throughput(
                update["Update"].get("ProvisionedThroughput"), table.billing_mode, name
            )
            replaced = dataclasses.replace(current, read_capacity=read, write_capacity=write)
            table = dataclasses.replace(
                table, gsis=tuple(replaced if i.name == name else i for i in table.gsis)
            )
    used = set(table.key_names) | {n for i in table.indexes for n in i.key_names}
    table = dataclasses.replace(
        table, attributes={k: v for k, v in table.attributes.items() if k in used}
    )
    check_index_keys(table)
    return table, created, deleted


def update_table(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    table = _existing(ctx, body)
    changes = (
        "ProvisionedThroughput",
        "BillingMode",
        "StreamSpecification",
        "GlobalSecondaryIndexUpdates",
        "SSESpecification",
        "DeletionProtectionEnabled",
        "TableClass",
        "ReplicaUpdates",
        "OnDemandThroughput",
        "WarmThroughput",
    )
    if not any(key in body for key in changes):
        raise validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, "
            "GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required"
        )
    updated = _billing(ctx, table, body)
    updated, created, deleted = _index_updates(updated, body)
    stream = body.get("StreamSpecification")
    if stream is not None:
        enabled = bool(stream.get("StreamEnabled"))
        updated = dataclasses.replace(
            updated,
            stream=stream if enabled else None,
            stream_label=stream_label(ctx.clock()) if enabled else None,
        )
    if "DeletionProtectionEnabled" in body:
        updated = dataclasses.replace(
            updated, deletion_protection=bool(body["DeletionProtectionEnabled"])
        )
    if body.get("TableClass"):
        updated = dataclasses.replace(updated, table_class=body["TableClass"])
    if "SSESpecification" in body:
        updated = dataclasses.replace(updated, sse=body["SSESpecification"])
    save_table(ctx, updated, created, deleted)
    return {
        "TableDescription": describe(
            updated,
            status="UPDATING",
            index_status=dict.fromkeys(created, "CREATING"),
            counts=ctx.storage.counts(updated),
        )
    }


def save_table(ctx: Context, table: TableDef, created: set[str], deleted: set[str]) -> None:
    """Store a changed definition; index new GSIs and drop deleted ones in one transaction."""
    with ctx.storage.transaction():
        ctx.storage.save_table(table)
        for name in deleted:
            ctx.storage.drop_index(table, name)
        for name in created:
            index = table.index(name)
            assert index is not None
            ctx.storage.backfill(table, index)


# -- time to live -------------------------------------------------------------------------


def update_time_to_live(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    table = _existing(ctx, body)
    spec = body.get("TimeToLiveSpecification")
    if not isinstance(spec, dict) or "Enabled" not in spec or not spec.get("AttributeName"):
        raise validation(
            "1 validation error detected: Value null at 'timeToLiveSpecification' failed to "
            "satisfy constraint: Member must not be null"
        )
    enabled, attribute = bool(spec["Enabled"]), str(spec["AttributeName"])
    if enabled and table.ttl_attribute is not None:
        raise validation("TimeToLive is already enabled")
    if not enabled:
        if table.ttl_attribute is None:
            raise validation("TimeToLive is already disabled")
        if table.ttl_attribute != attribute:
            raise validation(
                "TimeToLive is active on a different AttributeName: current AttributeName is "
                f"{table.ttl_attribute}"
            )
    updated = dataclasses.replace(table, ttl_attribute=attribute if enabled else None)
    with ctx.storage.transaction():
        ctx.storage.save_table(updated)
        ctx.storage.refresh_expiry(updated)
    return {"TimeToLiveSpecification": {"Enabled": enabled, "AttributeName": attribute}}


def describe_time_to_live(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    table = _existing(ctx, body)
    if table.ttl_attribute is None:
        return {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}}
    return {
        "TimeToLiveDescription": {
            "TimeToLiveStatus": "ENABLED",
            "AttributeName": table.ttl_attribute,
        }
    }


# -- tags and account-level calls ---------------------------------------------------------


def _by_arn(ctx: Context, body: dict[str, Any]) -> TableDef:
    arn = str(body.get("ResourceArn", ""))
    table = ctx.storage.tables.get(arn.split(":table/", 1)[-1].split("/", 1)[0])
    if table is None or table.arn != arn:
        raise not_found(f"Requested resource not found: ResourcArn: {arn} not found")
    return table


def tag_resource(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    table = _by_arn(ctx, body)
    tags = {**table.tags, **{str(t["Key"]): str(t["Value"]) for t in body.get("Tags") or []}}
    with ctx.storage.transaction():
        ctx.storage.save_table(dataclasses.replace(table, tags=tags))
    return {}


def untag_resource(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    table = _by_arn(ctx, body)
    removed = set(body.get("TagKeys") or [])
    tags = {k: v for k, v in table.tags.items() if k not in removed}
    with ctx.storage.transaction():
        ctx.storage.save_table(dataclasses.replace(table, tags=tags))
    return {}


def list_tags_of_resource(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    table = _by_arn(ctx, body)
    return {"Tags": [{"Key": k, "Value": v} for k, v in table.tags.items()]}


def describe_limits(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    }


def describe_endpoints(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "Endpoints": [
            {"Address": f"dynamodb.{ctx.region}.amazonaws.com", "CachePeriodInMinutes": 1440}
        ]
    }


def describe_continuous_backups(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    _existing(ctx, body)
    return {
        "ContinuousBackupsDescription": {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
        }
    }
