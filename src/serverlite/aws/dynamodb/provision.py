"""Tables the template declares: AWS::DynamoDB::Table and AWS::Serverless::SimpleTable.

Provisioning is idempotent across restarts: an existing table keeps its items. When
the template's definition changed, what DynamoDB could change in place is changed
(GSIs added, removed or redefined and backfilled; billing mode, throughput, TTL,
streams, tags, deletion protection); a changed key schema or LSI cannot be, so the
existing table is kept and a warning says so.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import Any

from serverlite.aws.backend import AwsError, ProvisionedResource
from serverlite.template.model import Application, ResourceSpec
from serverlite.template.resources import TEMPLATE_STREAM_LABEL

from .context import Context
from .ops_tables import create, save_table
from .schema import TableDef
from .table_input import parse_create_table

log = logging.getLogger("serverlite")

TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable")
_SIMPLE_TYPES = {"String": "S", "Number": "N", "Binary": "B"}


def _int(value: Any) -> int:
    return int(str(value))


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _throughput(spec: Any) -> dict[str, int] | None:
    if not isinstance(spec, Mapping):
        return None
    return {
        "ReadCapacityUnits": _int(spec.get("ReadCapacityUnits", 1)),
        "WriteCapacityUnits": _int(spec.get("WriteCapacityUnits", 1)),
    }


def _indexes(specs: Any, with_throughput: bool) -> list[dict[str, Any]]:
    indexes = []
    for spec in specs or []:
        index = {k: v for k, v in dict(spec).items() if k not in ("ProvisionedThroughput",)}
        throughput = _throughput(spec.get("ProvisionedThroughput"))
        if with_throughput and throughput:
            index["ProvisionedThroughput"] = throughput
        indexes.append(index)
    return indexes


def table_request(resource: ResourceSpec) -> dict[str, Any]:
    """A resource's properties as a CreateTable request (names are physical ids)."""
    props = resource.properties
    body: dict[str, Any] = {"TableName": resource.physical_id}
    if resource.type == "AWS::Serverless::SimpleTable":
        key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        kind = _SIMPLE_TYPES.get(str(key.get("Type", "String")), str(key.get("Type")))
        body["AttributeDefinitions"] = [{"AttributeName": key["Name"], "AttributeType": kind}]
        body["KeySchema"] = [{"AttributeName": key["Name"], "KeyType": "HASH"}]
        throughput = _throughput(props.get("ProvisionedThroughput"))
        body["BillingMode"] = "PROVISIONED" if throughput else "PAY_PER_REQUEST"
        if throughput:
            body["ProvisionedThroughput"] = throughput
        if props.get("SSESpecification"):
            body["SSESpecification"] = dict(props["SSESpecification"])
        tags = props.get("Tags") or {}
        body["Tags"] = [{"Key": k, "Value": str(v)} for k, v in dict(tags).items()]
        return body
    mode = str(props.get("BillingMode") or "PROVISIONED")
    body["BillingMode"] = mode
    body["AttributeDefinitions"] = [dict(a) for a in props.get("AttributeDefinitions") or []]
    body["KeySchema"] = [dict(k) for k in props.get("KeySchema") or []]
    if mode == "PROVISIONED":
        body["ProvisionedThroughput"] = _throughput(props.get("ProvisionedThroughput"))
    if props.get("GlobalSecondaryIndexes"):
        body["GlobalSecondaryIndexes"] = _indexes(
            props["GlobalSecondaryIndexes"], mode == "PROVISIONED"
        )
    if props.get("LocalSecondaryIndexes"):
        body["LocalSecondaryIndexes"] = _indexes(props["LocalSecondaryIndexes"], False)
    stream = props.get("StreamSpecification")
    if stream:
        # CloudFormation enables a stream by giving its view type.
        body["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream.get("StreamViewType", "NEW_AND_OLD_IMAGES"),
        }
    for name in ("SSESpecification", "TableClass"):
        if props.get(name):
            body[name] = props[name]
    if "DeletionProtectionEnabled" in props:
        body["DeletionProtectionEnabled"] = _bool(props["DeletionProtectionEnabled"])
    body["Tags"] = [
        {"Key": str(t["Key"]), "Value": str(t["Value"])} for t in props.get("Tags") or []
    ]
    return body


def _ttl_attribute(resource: ResourceSpec) -> str | None:
    spec = resource.properties.get("TimeToLiveSpecification")
    if isinstance(spec, Mapping) and _bool(spec.get("Enabled")) and spec.get("AttributeName"):
        return str(spec["AttributeName"])
    return None


def _detail(ctx: Context, table: TableDef, note: str) -> str:
    keys = ", ".join(f"{n} ({table.attributes[n]})" for n in table.key_names)
    parts = [keys]
    if table.gsis:
        parts.append(f"{len(table.gsis)} GSI" + ("s" if len(table.gsis) > 1 else ""))
    if table.lsis:
        parts.append(f"{len(table.lsis)} LSI" + ("s" if len(table.lsis) > 1 else ""))
    parts.append(table.billing_mode)
    if table.ttl_attribute:
        parts.append(f"TTL {table.ttl_attribute}")
    parts.append(note)
    return " · ".join(parts)


def _update(ctx: Context, existing: TableDef, body: dict[str, Any], ttl: str | None) -> str:
    wanted = parse_create_table(
        body, arn=existing.arn, table_id=existing.table_id, created=existing.created
    )
    notes: list[str] = []
    same_keys = (wanted.hash_key, wanted.range_key) == (existing.hash_key, existing.range_key)
    if not same_keys or any(
        wanted.attributes.get(n) != existing.attributes[n] for n in existing.key_names
    ):
        notes.append("warning: the key schema differs from the template; kept the existing one")
    if wanted.lsis != existing.lsis:
        notes.append("warning: LSIs differ from the template; kept the existing ones")
    if notes:
        attributes = {
            **wanted.attributes,
            **{n: existing.attributes[n] for n in existing.key_names},
        }
        for index in existing.lsis:
            attributes.update({n: existing.attributes[n] for n in index.key_names})
        wanted = dataclasses.replace(
            wanted,
            hash_key=existing.hash_key,
            range_key=existing.range_key,
            lsis=existing.lsis,
            attributes=attributes,
        )
    old = {i.name: i for i in existing.gsis}
    new = {i.name: i for i in wanted.gsis}
    created = {name for name, index in new.items() if old.get(name) != index}
    deleted = {name for name, index in old.items() if new.get(name) != index}
    wanted = dataclasses.replace(
        wanted,
        rowid=existing.rowid,
        ttl_attribute=ttl,
        billing_switched=existing.billing_switched
        if existing.billing_mode == wanted.billing_mode
        else wanted.billing_switched,
        stream_label=TEMPLATE_STREAM_LABEL if wanted.stream else None,
    )
    if wanted != existing:
        save_table(ctx, wanted, created, deleted)
        if ttl != existing.ttl_attribute:
            with ctx.storage.transaction():
                ctx.storage.refresh_expiry(wanted)
        changes = [f"+{n}" for n in sorted(created - deleted)]
        changes += [f"-{n}" for n in sorted(deleted - created)]
        changes += [f"~{n}" for n in sorted(created & deleted)]
        notes.insert(0, "updated" + (f" (GSIs {' '.join(changes)})" if changes else ""))
    for note in notes:
        if note.startswith("warning"):
            log.warning("table %s: %s", existing.name, note.removeprefix("warning: "))
    count = ctx.storage.counts(wanted)[None][0]
    notes.append(f"kept {count} item" + ("" if count == 1 else "s"))
    return _detail(ctx, wanted, ", ".join(notes))


def provision(ctx: Context, app: Application) -> list[ProvisionedResource]:
    rows: list[ProvisionedResource] = []
    for resource in app.resources:
        if resource.type not in TABLE_TYPES:
            continue
        name = resource.physical_id
        try:
            body = table_request(resource)
            ttl = _ttl_attribute(resource)
            existing = ctx.storage.tables.get(name)
            if existing is None:
                table = create(ctx, body, TEMPLATE_STREAM_LABEL)
                if ttl:
                    table = dataclasses.replace(table, ttl_attribute=ttl)
                    with ctx.storage.transaction():
                        ctx.storage.save_table(table)
                detail = _detail(ctx, table, "created")
            else:
                detail = _update(ctx, existing, body, ttl)
        except AwsError as error:
            log.warning("table %s (%s) not created: %s", name, resource.logical_id, error.message)
            detail = f"not created: {error.message}"
        rows.append(ProvisionedResource("dynamodb", "table", name, detail))
    return rows
