"""Table definitions: keys, secondary indexes, billing, TTL and streams.

A ``TableDef`` is what CreateTable (or the template) declared, validated; it is
stored as JSON in the tables row and rendered back as DescribeTable's
``TableDescription``. Definitions are immutable; changes make a new one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .types import Item

HASH_KEY_MAX = 2048
RANGE_KEY_MAX = 1024


@dataclass(frozen=True)
class IndexDef:
    name: str
    kind: str  # "GSI" or "LSI"
    hash_key: str
    range_key: str | None
    projection_type: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: tuple[str, ...] = ()
    read_capacity: int = 0  # GSIs on provisioned tables
    write_capacity: int = 0

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["non_key_attributes"] = list(self.non_key_attributes)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexDef:
        return cls(**{**data, "non_key_attributes": tuple(data["non_key_attributes"])})


@dataclass(frozen=True)
class TableDef:
    name: str
    table_id: str  # the TableId uuid AWS shows
    arn: str
    created: float
    hash_key: str
    range_key: str | None
    attributes: dict[str, str]  # AttributeDefinitions: name -> S | N | B
    gsis: tuple[IndexDef, ...] = ()
    lsis: tuple[IndexDef, ...] = ()
    billing_mode: str = "PROVISIONED"
    read_capacity: int = 0
    write_capacity: int = 0
    billing_switched: float | None = None
    ttl_attribute: str | None = None  # TTL enabled when set
    stream: dict[str, Any] | None = None  # StreamSpecification, recorded
    stream_label: str | None = None
    deletion_protection: bool = False
    table_class: str = "STANDARD"
    sse: dict[str, Any] | None = None
    tags: dict[str, str] = field(default_factory=dict)
    rowid: int = 0  # the storage id: a recreated table with the same name is new

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)

    @property
    def indexes(self) -> tuple[IndexDef, ...]:
        return self.lsis + self.gsis

    def index(self, name: str) -> IndexDef | None:
        for index in self.indexes:
            if index.name == name:
                return index
        return None

    def key_of(self, item: Item) -> Item:
        return {name: item[name] for name in self.key_names}

    def index_key_attributes(self) -> Iterator[tuple[str, str, IndexDef]]:
        """(attribute, declared type, index) for every secondary index key attribute."""
        for index in self.indexes:
            for name in index.key_names:
                yield name, self.attributes[name], index

    def projected(self, index: IndexDef, item: Item) -> Item:
        """The part of a table item an index holds."""
        if index.projection_type == "ALL":
            return item
        keep = {*self.key_names, *index.key_names}
        if index.projection_type == "INCLUDE":
            keep.update(index.non_key_attributes)
        return {name: value for name, value in item.items() if name in keep}

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["gsis"] = [i.to_json() for i in self.gsis]
        data["lsis"] = [i.to_json() for i in self.lsis]
        del data["rowid"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], rowid: int) -> TableDef:
        return cls(
            **{
                **data,
                "gsis": tuple(IndexDef.from_json(i) for i in data["gsis"]),
                "lsis": tuple(IndexDef.from_json(i) for i in data["lsis"]),
                "rowid": rowid,
            }
        )


# -- DescribeTable ----------------------------------------------------------------------


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key is not None:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def _projection(index: IndexDef) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection_type}
    if index.non_key_attributes:
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    return projection


def _throughput(read: int, write: int) -> dict[str, int]:
    return {"NumberOfDecreasesToday": 0, "ReadCapacityUnits": read, "WriteCapacityUnits": write}


def describe(
    table: TableDef,
    *,
    status: str = "ACTIVE",
    index_status: dict[str, str] | None = None,
    counts: dict[str | None, tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """``TableDescription``; ``counts`` maps None (the table) or an index name to
    (item count, size in bytes)."""
    counts = counts or {}
    index_status = index_status or {}
    item_count, size = counts.get(None, (0, 0))
    description: dict[str, Any] = {
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in table.attributes.items()
        ],
        "TableName": table.name,
        "KeySchema": _key_schema(table.hash_key, table.range_key),
        "TableStatus": status,
        "CreationDateTime": table.created,
        "ProvisionedThroughput": _throughput(table.read_capacity, table.write_capacity),
        "TableSizeBytes": size,
        "ItemCount": item_count,
        "TableArn": table.arn,
        "TableId": table.table_id,
        "DeletionProtectionEnabled": table.deletion_protection,
    }
    if table.billing_mode == "PAY_PER_REQUEST":
        description["BillingModeSummary"] = {
            "BillingMode": "PAY_PER_REQUEST",
            "LastUpdateToPayPerRequestDateTime": table.billing_switched or table.created,
        }
    if table.lsis:
        description["LocalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.hash_key, index.range_key),
                "Projection": _projection(index),
                "IndexSizeBytes": counts.get(index.name, (0, 0))[1],
                "ItemCount": counts.get(index.name, (0, 0))[0],
                "IndexArn": f"{table.arn}/index/{index.name}",
            }
            for index in table.lsis
        ]
    if table.gsis:
        description["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.hash_key, index.range_key),
                "Projection": _projection(index),
                "IndexStatus": index_status.get(index.name, "ACTIVE"),
                "ProvisionedThroughput": _throughput(index.read_capacity, index.write_capacity),
                "IndexSizeBytes": counts.get(index.name, (0, 0))[1],
                "ItemCount": counts.get(index.name, (0, 0))[0],
                "IndexArn": f"{table.arn}/index/{index.name}",
            }
            for index in table.gsis
        ]
    if table.stream and table.stream.get("StreamEnabled"):
        description["StreamSpecification"] = table.stream
        description["LatestStreamLabel"] = table.stream_label
        description["LatestStreamArn"] = f"{table.arn}/stream/{table.stream_label}"
    if table.sse and table.sse.get("Enabled"):
        description["SSEDescription"] = {
            "Status": "ENABLED",
            "SSEType": table.sse.get("SSEType", "KMS"),
            "KMSMasterKeyArn": table.sse.get(
                "KMSMasterKeyId", table.arn.replace(":table/", ":key/").replace("dynamodb", "kms")
            ),
        }
    if table.table_class != "STANDARD":
        description["TableClassSummary"] = {"TableClass": table.table_class}
    return description
