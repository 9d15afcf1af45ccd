"""CreateTable / UpdateTable input: validated into ``TableDef`` and ``IndexDef``.

The checks and their wording follow what DynamoDB answers; the template's
AWS::DynamoDB::Table properties go through the same path (``provision.py``).
"""

from __future__ import annotations

import re
from typing import Any

from serverlite.aws.backend import AwsError

from .errors import constraint, invalid_parameter, validation
from .schema import IndexDef, TableDef

_NAME = re.compile(r"^[a-zA-Z0-9_.-]+$")
MAX_GSIS = 20
MAX_LSIS = 5


def check_table_name(name: Any, where: str = "tableName") -> str:
    if not isinstance(name, str):
        raise validation(
            "1 validation error detected: Value null at 'tableName' failed to "
            "satisfy constraint: Member must not be null"
        )
    if len(name) < 3:
        raise constraint(name, where, "Member must have length greater than or equal to 3")
    if len(name) > 255:
        raise constraint(name, where, "Member must have length less than or equal to 255")
    if not _NAME.match(name):
        raise constraint(
            name, where, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    return name


def parse_key_schema(schema: Any, where: str) -> tuple[str, str | None]:
    if not isinstance(schema, list) or not schema:
        raise constraint(schema, where, "Member must have length greater than or equal to 1")
    if len(schema) > 2:
        raise constraint(
            "[" + ", ".join(str(s) for s in schema) + "]",
            where,
            "Member must have length less than or equal to 2",
        )
    for position, element in enumerate(schema, start=1):
        kind = element.get("KeyType") if isinstance(element, dict) else None
        if kind not in ("HASH", "RANGE"):
            raise constraint(
                kind,
                f"{where}.{position}.member.keyType",
                "Member must satisfy enum value set: [HASH, RANGE]",
            )
    if schema[0]["KeyType"] != "HASH":
        raise validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2:
        if schema[1]["KeyType"] != "RANGE":
            raise validation(
                "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
            )
        if schema[0].get("AttributeName") == schema[1].get("AttributeName"):
            raise validation(
                "Both the Hash Key and the Range Key element in the KeySchema have the same name"
            )
    names = [str(element.get("AttributeName", "")) for element in schema]
    return names[0], names[1] if len(names) == 2 else None


def parse_attributes(definitions: Any) -> dict[str, str]:
    if not isinstance(definitions, list):
        raise validation(
            "1 validation error detected: Value null at 'attributeDefinitions' "
            "failed to satisfy constraint: Member must not be null"
        )
    attributes: dict[str, str] = {}
    for position, definition in enumerate(definitions, start=1):
        kind = definition.get("AttributeType") if isinstance(definition, dict) else None
        if kind not in ("S", "N", "B"):
            raise constraint(
                kind,
                f"attributeDefinitions.{position}.member.attributeType",
                "Member must satisfy enum value set: [B, N, S]",
            )
        name = str(definition.get("AttributeName", ""))
        if name in attributes:
            raise invalid_parameter(f"Duplicate AttributeName: {name}")
        attributes[name] = kind
    return attributes


def parse_projection(projection: Any, index_name: str) -> tuple[str, tuple[str, ...]]:
    if not isinstance(projection, dict):
        raise invalid_parameter(f"Projection is missing for index: {index_name}")
    kind = projection.get("ProjectionType", "ALL")
    if kind not in ("ALL", "KEYS_ONLY", "INCLUDE"):
        raise constraint(
            kind,
            "projection.projectionType",
            "Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]",
        )
    non_key = projection.get("NonKeyAttributes") or []
    if kind != "INCLUDE" and non_key:
        raise invalid_parameter(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    if kind == "INCLUDE" and not non_key:
        raise invalid_parameter("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    return kind, tuple(str(name) for name in non_key)


def parse_throughput(throughput: Any, billing_mode: str, what: str) -> tuple[int, int]:
    if billing_mode == "PAY_PER_REQUEST":
        if throughput:
            raise invalid_parameter(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                "BillingMode is PAY_PER_REQUEST"
            )
        return 0, 0
    if not isinstance(throughput, dict):
        if what == "table":
            raise validation("No provisioned throughput specified for the table")
        raise invalid_parameter(f"ProvisionedThroughput must be specified for index: {what}")
    read, write = throughput.get("ReadCapacityUnits"), throughput.get("WriteCapacityUnits")
    if read is None or write is None:
        raise invalid_parameter(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
            "BillingMode is PROVISIONED"
        )
    read, write = int(read), int(write)
    if read < 1 or write < 1:
        raise validation(
            "1 validation error detected: Value '0' at 'provisionedThroughput.readCapacityUnits' "
            "failed to satisfy constraint: Member must have value greater than or equal to 1"
        )
    return read, write


def parse_index(spec: Any, kind: str, billing_mode: str) -> IndexDef:
    if not isinstance(spec, dict) or not isinstance(spec.get("IndexName"), str):
        raise validation(f"Invalid {kind} specification")
    name = spec["IndexName"]
    if not 3 <= len(name) <= 255 or not _NAME.match(name):
        raise constraint(
            name, "indexName", "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        )
    hash_key, range_key = parse_key_schema(spec.get("KeySchema"), "keySchema")
    projection_type, non_key = parse_projection(spec.get("Projection"), name)
    read = write = 0
    if kind == "GSI":
        read, write = parse_throughput(spec.get("ProvisionedThroughput"), billing_mode, name)
    return IndexDef(
        name=name,
        kind=kind,
        hash_key=hash_key,
        range_key=range_key,
        projection_type=projection_type,
        non_key_attributes=non_key,
        read_capacity=read,
        write_capacity=write,
    )


def check_index_keys(table: TableDef) -> None:
    """Every key attribute defined, every definition used, LSIs share the hash key."""
    used = {table.hash_key, *([table.range_key] if table.range_key else [])}
    for index in table.indexes:
        used.update(index.key_names)
    missing = sorted(used - table.attributes.keys())
    if missing:
        raise invalid_parameter(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(missing)}], AttributeDefinitions: "
            f"[{', '.join(table.attributes)}]"
        )
    if set(table.attributes) - used:
        raise invalid_parameter(
            "Number of attributes in KeySchema does not exactly match number of attributes "
            "defined in AttributeDefinitions"
        )
    names = [index.name for index in table.indexes]
    for name in names:
        if names.count(name) > 1:
            raise invalid_parameter(f"Duplicate index name: {name}")
    for index in table.lsis:
        if table.range_key is None:
            raise invalid_parameter(
                "Table KeySchema does not have a range key, which is required when "
                "specifying a LocalSecondaryIndex"
            )
        if index.hash_key != table.hash_key:
            raise invalid_parameter(
                "Index KeySchema does not have the same leading hash key as table KeySchema "
                f"for index: {index.name}. index hash key: {index.hash_key}, "
                f"table hash key: {table.hash_key}"
            )
        if index.range_key is None:
            raise invalid_parameter(
                f"Index KeySchema does not have a range key for index: {index.name}"
            )
    if len(table.gsis) > MAX_GSIS:
        raise AwsError(
            "LimitExceededException",
            f"One or more parameter values were invalid: GlobalSecondaryIndex count exceeds "
            f"the per-table limit of {MAX_GSIS}",
        )
    if len(table.lsis) > MAX_LSIS:
        raise invalid_parameter(
            f"LocalSecondaryIndex count exceeds the per-table limit of {MAX_LSIS}"
        )


def parse_create_table(
    body: dict[str, Any], *, arn: str, table_id: str, created: float
) -> TableDef:
    name = check_table_name(body.get("TableName"))
    attributes = parse_attributes(body.get("AttributeDefinitions"))
    hash_key, range_key = parse_key_schema(body.get("KeySchema"), "keySchema")
    billing_mode = body.get("BillingMode") or "PROVISIONED"
    if billing_mode not in ("PROVISIONED", "PAY_PER_REQUEST"):
        raise constraint(
            billing_mode,
            "billingMode",
            "Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]",
        )
    read, write = parse_throughput(body.get("ProvisionedThroughput"), billing_mode, "table")
    gsi_specs = body.get("GlobalSecondaryIndexes")
    lsi_specs = body.get("LocalSecondaryIndexes")
    if gsi_specs == []:
        raise invalid_parameter("List of GlobalSecondaryIndexes is empty")
    if lsi_specs == []:
        raise invalid_parameter("List of LocalSecondaryIndexes is empty")
    stream = body.get("StreamSpecification")
    if stream and stream.get("StreamEnabled") and not stream.get("StreamViewType"):
        raise validation(
            "One or more parameter values were invalid: StreamViewType must be specified "
            "when StreamEnabled is true"
        )
    table = TableDef(
        name=name,
        table_id=table_id,
        arn=arn,
        created=created,
        hash_key=hash_key,
        range_key=range_key,
        attributes=attributes,
        gsis=tuple(parse_index(s, "GSI", billing_mode) for s in gsi_specs or []),
        lsis=tuple(parse_index(s, "LSI", billing_mode) for s in lsi_specs or []),
        billing_mode=billing_mode,
        read_capacity=read,
        write_capacity=write,
        billing_switched=created if billing_mode == "PAY_PER_REQUEST" else None,
        stream=stream if stream and stream.get("StreamEnabled") else None,
        stream_label=_stream_label(created) if stream and stream.get("StreamEnabled") else None,
        deletion_protection=bool(body.get("DeletionProtectionEnabled", False)),
        table_class=body.get("TableClass") or "STANDARD",
        sse=body.get("SSESpecification"),
        tags={str(t["Key"]): str(t["Value"]) for t in body.get("Tags") or []},
    )
    check_index_keys(table)
    return table


def _stream_label(created: float) -> str:
    import datetime

    moment = datetime.datetime.fromtimestamp(created, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


stream_label = _stream_label
