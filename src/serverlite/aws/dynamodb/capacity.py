"""Consumed capacity, by AWS's rounding rules.

- A read: one unit per 4 KB (rounded up, at least one) for a strongly consistent read,
  half that for an eventually consistent one. Query and Scan round the total size of
  the items they read (before any filter), not each item.
- A write: one unit per 1 KB of the larger of the old and new item (at least one),
  plus, for every secondary index the write touches, one per 1 KB of the index entry
  written (two entries when the index key changed: the old one deleted, the new put).
- Transactions cost double.

``ReturnConsumedCapacity`` = TOTAL gives the sum; INDEXES breaks it down into the
table and each index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .errors import constraint

MODES = ("INDEXES", "TOTAL", "NONE")


def read_mode(body: dict[str, Any]) -> str:
    mode = body.get("ReturnConsumedCapacity", "NONE")
    if mode not in MODES:
        raise constraint(
            mode,
            "returnConsumedCapacity",
            "Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
        )
    return str(mode)


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


@dataclass
class Consumed:
    """Capacity one request consumed on one table and its indexes."""

    table_name: str
    kind: str  # "Read" or "Write"
    table: float = 0.0
    gsis: dict[str, float] = field(default_factory=dict)
    lsis: dict[str, float] = field(default_factory=dict)

    def add_index(self, name: str, local: bool, units: float) -> None:
        target = self.lsis if local else self.gsis
        target[name] = target.get(name, 0.0) + units

    @property
    def total(self) -> float:
        return self.table + sum(self.gsis.values()) + sum(self.lsis.values())

    def scaled(self, factor: float) -> Consumed:
        return Consumed(
            self.table_name,
            self.kind,
            self.table * factor,
            {k: v * factor for k, v in self.gsis.items()},
            {k: v * factor for k, v in self.lsis.items()},
        )

    def merge(self, other: Consumed) -> None:
        self.table += other.table
        for name, units in other.gsis.items():
            self.add_index(name, False, units)
        for name, units in other.lsis.items():
            self.add_index(name, True, units)

    def render(self, mode: str) -> dict[str, Any]:
        units_key = f"{self.kind}CapacityUnits"
        result: dict[str, Any] = {
            "TableName": self.table_name,
            "CapacityUnits": self.total,
            units_key: self.total,
        }
        if mode == "INDEXES":
            result["Table"] = {"CapacityUnits": self.table, units_key: self.table}
            if self.gsis:
                result["GlobalSecondaryIndexes"] = {
                    name: {"CapacityUnits": units, units_key: units}
                    for name, units in self.gsis.items()
                }
            if self.lsis:
                result["LocalSecondaryIndexes"] = {
                    name: {"CapacityUnits": units, units_key: units}
                    for name, units in self.lsis.items()
                }
        return result
