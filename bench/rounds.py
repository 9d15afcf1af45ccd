"""Alternating rounds: each side of a comparison runs once per round, in an order that
rotates every round (A B C, then B C A, ...), so no side always runs first, on a
colder cache or a smaller database. A result is the median over the rounds with the
range (lowest to highest), and a ratio is taken per round, between the sides that ran
back to back, then summarised the same way."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Spread:
    median: float
    low: float
    high: float

    def show(self, spec: str = ",.0f", unit: str = "") -> str:
        """``13,702 (12,900..14,100)``: the median, then the range over the rounds."""
        return f"{self.median:{spec}}{unit} ({self.low:{spec}}..{self.high:{spec}})"


def spread(values: Sequence[float]) -> Spread:
    if not values:
        raise ValueError("no rounds were measured")
    return Spread(statistics.median(values), min(values), max(values))


def alternate(rounds: int, sides: Mapping[str, Callable[[], T]]) -> dict[str, list[T]]:
    """Every side once per round, the order rotating by one each round."""
    names = list(sides)
    results: dict[str, list[T]] = {name: [] for name in names}
    for round_number in range(rounds):
        start = round_number % len(names)
        for name in names[start:] + names[:start]:
            results[name].append(sides[name]())
    return results


def per_round(
    ours: Sequence[float], peer: Sequence[float], how: Callable[[float, float], float]
) -> Spread:
    """``how(ours, peer)`` for each round, summarised (a ratio, a difference)."""
    return spread([how(a, b) for a, b in zip(ours, peer, strict=True)])


def ratio(ours: Sequence[float], peer: Sequence[float]) -> Spread:
    return per_round(ours, peer, lambda a, b: a / b if b else float("inf"))
