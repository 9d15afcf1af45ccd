"""What every operation is given: the store, the clock, where the tables live."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import not_found, validation
from .schema import TableDef
from .storage import Storage

LEGACY = (
    "AttributesToGet",
    "Expected",
    "KeyConditions",
    "QueryFilter",
    "ScanFilter",
    "AttributeUpdates",
    "ConditionalOperator",
)


@dataclass(frozen=True)
class Context:
    storage: Storage
    clock: Callable[[], float]
    region: str
    account_id: str

    def table_arn(self, name: str) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account_id}:table/{name}"

    def table(self, name: Any) -> TableDef:
        """The table an item or read operation names (ResourceNotFoundException if none)."""
        if not isinstance(name, str) or not name:
            raise validation(
                "1 validation error detected: Value null at 'tableName' failed to satisfy "
                "constraint: Member must not be null"
            )
        table = self.storage.tables.get(name)
        if table is None:
            # ARNs name tables too.
            if name.startswith("arn:"):
                table = self.storage.tables.get(name.rsplit("/", 1)[-1])
            if table is None:
                raise not_found()
        return table


def choice(body: dict[str, Any], field: str, allowed: tuple[str, ...], default: str) -> str:
    """An enum parameter, checked against the values this operation accepts."""
    value = body.get(field)
    if value is None:
        return default
    if value not in allowed:
        if field == "ReturnValues":
            raise validation("Return values set to invalid value")
        where = field[0].lower() + field[1:]
        raise validation(
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )
    return str(value)
