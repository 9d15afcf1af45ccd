"""Keys: checking them against a table's schema, and encoding them for storage.

An item row is addressed by (partition hash, encoded partition key, encoded sort key);
an index entry by the same three for the index's keys, plus the item's own keys.
Tables and indexes without a sort key use an empty sort key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .encoding import encode_key, partition_hash
from .errors import invalid_parameter, validation
from .schema import HASH_KEY_MAX, RANGE_KEY_MAX, IndexDef, TableDef
from .types import MAX_ITEM_SIZE, AttributeValue, Item, canonical_value, item_size, type_of

KEY_MISMATCH = "The provided key element does not match the schema"


@dataclass(frozen=True, slots=True)
class StoredKey:
    hash: int
    pk: bytes
    sk: bytes


def storage_key(table: TableDef, item: Item) -> StoredKey:
    pk = encode_key(item[table.hash_key])
    sk = encode_key(item[table.range_key]) if table.range_key else b""
    return StoredKey(partition_hash(pk), pk, sk)


def index_key(table: TableDef, index: IndexDef, item: Item) -> StoredKey | None:
    """Where the item sits in the index, or None when it lacks the index's keys (the
    index is sparse) or holds them with another type than declared."""
    hash_value = item.get(index.hash_key)
    if hash_value is None or type_of(hash_value) != table.attributes[index.hash_key]:
        return None
    sk = b""
    if index.range_key is not None:
        range_value = item.get(index.range_key)
        if range_value is None or type_of(range_value) != table.attributes[index.range_key]:
            return None
        sk = encode_key(range_value)
    pk = encode_key(hash_value)
    return StoredKey(partition_hash(pk), pk, sk)


def parse_key(table: TableDef, key: Any, message: str = KEY_MISMATCH) -> Item:
    """The ``Key`` parameter: exactly the table's key attributes, with their types."""
    if not isinstance(key, dict) or set(key) != set(table.key_names):
        raise validation(message)
    parsed: Item = {}
    for name in table.key_names:
        value = canonical_value(key[name])
        if type_of(value) != table.attributes[name]:
            raise validation(message)
        _check_not_empty(name, value)
        parsed[name] = value
    _check_key_sizes(table, parsed)
    return parsed


def _check_not_empty(name: str, value: AttributeValue) -> None:
    kind = type_of(value)
    if value[kind] == "":
        what = "string" if kind == "S" else "binary"
        raise validation(
            "One or more parameter values are not valid. The AttributeValue for a key "
            f"attribute cannot contain an empty {what} value. Key: {name}"
        )


def _check_key_sizes(table: TableDef, item: Item) -> None:
    if len(encode_key(item[table.hash_key])) > HASH_KEY_MAX:
        # AWS's wording, missing space included.
        raise invalid_parameter(
            f"Size of hashkey has exceeded the maximum size limit of{HASH_KEY_MAX} bytes"
        )
    if table.range_key and len(encode_key(item[table.range_key])) > RANGE_KEY_MAX:
        raise invalid_parameter(
            "Aggregated size of all range keys has exceeded the size limit of "
            f"{RANGE_KEY_MAX} bytes"
        )


def check_item_keys(table: TableDef, item: Item) -> None:
    """A whole item being written (PutItem): its key attributes present and typed."""
    for name in table.key_names:
        value = item.get(name)
        if value is None:
            raise invalid_parameter(f"Missing the key {name} in the item")
        if type_of(value) != table.attributes[name]:
            raise invalid_parameter(
                f"Type mismatch for key {name} expected: {table.attributes[name]} "
                f"actual: {type_of(value)}"
            )
        _check_not_empty(name, value)
    _check_key_sizes(table, item)


def check_index_values(table: TableDef, item: Item, *, updating: bool = False) -> None:
    """Secondary index key attributes, when present, must have the declared type and not
    be empty."""
    for name, declared, index in table.index_key_attributes():
        value = item.get(name)
        if value is None:
            continue
        kind = type_of(value)
        if kind != declared:
            raise invalid_parameter(
                f"Type mismatch for Index Key {name} Expected: {declared} Actual: {kind} "
                f"IndexName: {index.name}"
            )
        if value[kind] == "":
            if updating:
                raise validation(
                    "One or more parameter values are not valid. The update expression "
                    "attempted to update a secondary index key to a value that is not "
                    "supported. The AttributeValue for a key attribute cannot contain an "
                    "empty string value."
                )
            raise validation(
                "One or more parameter values are not valid. A value specified for a "
                "secondary index key is not supported. The AttributeValue for a key "
                f"attribute cannot contain an empty string value. IndexName: {index.name}, "
                f"IndexKey: {name}"
            )


def check_item_size(item: Item, *, updating: bool = False) -> int:
    size = item_size(item)
    if size > MAX_ITEM_SIZE:
        if updating:
            raise validation("Item size to update has exceeded the maximum allowed size")
        raise validation("Item size has exceeded the maximum allowed size")
    return size
