"""CloudWatch metric math: GetMetricData's ``Expression`` over the other queries' series.

Supported: numbers, query ids, ``+ - * / ^``, parentheses, arrays ``[m1, m2]``,
``METRICS()`` / ``METRICS("part of an id")``, ``SUM AVG MIN MAX STDDEV`` (over an
array: a series per timestamp; over one series: a scalar, as CloudWatch does),
``FILL(x, value | REPEAT | LINEAR)``, ``RATE``, ``DIFF``, ``ABS``, ``CEIL``, ``FLOOR``,
``PERIOD``. Other functions (``IF``, ``SEARCH``, ``ANOMALY_DETECTION_BAND``, ``SLICE``,
``SORT``, ...) are refused with the expression named, never evaluated wrongly.
Arithmetic between two series keeps the timestamps both have, as CloudWatch does.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

_TOKEN = re.compile(
    r'\s*(?:(?P<num>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|(?P<str>"[^"]*")|(?P<name>[A-Za-z_][\w]*)'
    r"|(?P<op>[-+*/^(),\[\]]))"
)


class MathError(ValueError):
    pass


@dataclass
class TimeSeries:
    points: dict[int, float]
    label: str = ""


Value = float | TimeSeries | list[TimeSeries]


@dataclass(frozen=True)
class Grid:
    """The query's timestamps: period-aligned from the start, up to the end."""

    start: int
    end: int
    period: int

    def timestamps(self) -> list[int]:
        return list(range(self.start, self.end, self.period))


def evaluate(
    expression: str,
    queries: Mapping[str, TimeSeries],
    grid: Grid,
    *,
    metric_ids: frozenset[str] | None = None,
) -> Value:
    """``queries``: every series the expression may name; ``metric_ids``: those that are
    metrics (what ``METRICS()`` returns; expressions' results are not)."""
    tokens = _tokens(expression)
    parser = _Parser(
        tokens, queries, grid, metric_ids if metric_ids is not None else frozenset(queries)
    )
    result = parser.expression()
    if parser.pos != len(tokens):
        raise MathError(f"Unexpected {tokens[parser.pos][1]!r} in {expression!r}")
    return result


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        found = _TOKEN.match(text, pos)
        if found is None or found.end() == pos:
            raise MathError(f"Cannot read the expression at {text[pos : pos + 20]!r}")
        kind = found.lastgroup or ""
        tokens.append((kind, found.group(kind)))
        pos = found.end()
    return tokens


class _Parser:
    def __init__(
        self,
        tokens: list[tuple[str, str]],
        queries: Mapping[str, TimeSeries],
        grid: Grid,
        metric_ids: frozenset[str],
    ) -> None:
        self.tokens, self.queries, self.grid, self.metric_ids = tokens, queries, grid, metric_ids
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise MathError("The expression ends too soon")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def expect(self, value: str) -> None:
        if self.take()[1] != value:
            raise MathError(f"Expected {value!r}")

    def expression(self) -> Value:
        left = self.term()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            left = _binary(op, left, self.term())
        return left

    def term(self) -> Value:
        left = self.power()
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            left = _binary(op, left, self.power())
        return left

    def power(self) -> Value:
        base = self.unary()
        if self.peek() == "^":
            self.take()
            return _binary("^", base, self.power())
        return base

    def unary(self) -> Value:
        if self.peek() == "-":
            self.take()
            return _binary("*", -1.0, self.unary())
        return self.atom()

    def atom(self) -> Value:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if text == "(":
            value = self.expression()
            self.expect(")")
            return value
        if text == "[":
            items: list[TimeSeries] = []
            while True:
                item = self.expression()
                items.extend(_as_list(item))
                if self.peek() != ",":
                    break
                self.take()
            self.expect("]")
            return items
        if kind == "name":
            if self.peek() == "(":
                return self.call(text.upper())
            if text in self.queries:
                return self.queries[text]
            raise MathError(f"Unknown id {text!r} (ids must name another query)")
        raise MathError(f"Unexpected {text!r}")

    def arguments(self) -> list[Value | str]:
        self.expect("(")
        args: list[Value | str] = []
        if self.peek() == ")":
            self.take()
            return args
        while True:
            kind, text = self.tokens[self.pos] if self.pos < len(self.tokens) else ("", "")
            if kind == "str":
                self.take()
                args.append(text[1:-1])
            elif kind == "name" and text.upper() in ("REPEAT", "LINEAR"):
                self.take()
                args.append(text.upper())
            else:
                args.append(self.expression())
            if self.peek() != ",":
                break
            self.take()
        self.expect(")")
        return args

    def call(self, name: str) -> Value:
        args = self.arguments()
        if name == "METRICS":
            part = args[0] if args and isinstance(args[0], str) else ""
            return [
                series
                for qid, series in self.queries.items()
                if qid in self.metric_ids and part in qid
            ]
        if name in _AGGREGATES:
            return _aggregate(name, _one(args, name))
        if name == "FILL":
            if len(args) != 2:
                raise MathError("FILL takes a series and a value, REPEAT or LINEAR")
            return _each(_one(args[:1], name), lambda s: _fill(s, args[1], self.grid))
        if name in _ELEMENTWISE:
            return _each(_one(args, name), _ELEMENTWISE[name])
        if name == "PERIOD":
            return float(self.grid.period)
        raise MathError(f"serverlite does not support the metric math function {name}")


def _one(args: Sequence[Value | str], name: str) -> Value:
    if len(args) != 1 or isinstance(args[0], str):
        raise MathError(f"{name} takes one argument")
    return args[0]


def _as_list(value: Value) -> list[TimeSeries]:
    if isinstance(value, list):
        return value
    if isinstance(value, TimeSeries):
        return [value]
    raise MathError("An array holds time series, not numbers")


def _each(value: Value, fn: Callable[[TimeSeries], TimeSeries]) -> Value:
    if isinstance(value, list):
        return [fn(s) for s in value]
    if isinstance(value, TimeSeries):
        return fn(value)
    raise MathError("This function takes a time series")


def _apply(op: str, a: float, b: float) -> float:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b if b != 0 else math.nan
    try:
        return float(a**b)
    except (OverflowError, ZeroDivisionError):
        return math.nan


def _binary(op: str, left: Value, right: Value) -> Value:
    if isinstance(left, list):
        return [_series(_binary(op, s, right)) for s in left]
    if isinstance(right, list):
        return [_series(_binary(op, left, s)) for s in right]
    if isinstance(left, TimeSeries) and isinstance(right, TimeSeries):
        return TimeSeries(
            {t: _apply(op, v, right.points[t]) for t, v in left.points.items() if t in right.points}
        )
    if isinstance(left, TimeSeries):
        return TimeSeries({t: _apply(op, v, float(right)) for t, v in left.points.items()})  # type: ignore[arg-type]
    if isinstance(right, TimeSeries):
        return TimeSeries({t: _apply(op, float(left), v) for t, v in right.points.items()})
    return _apply(op, float(left), float(right))


def _series(value: Value) -> TimeSeries:
    if not isinstance(value, TimeSeries):
        raise MathError("Expected a time series")
    return value


def _stddev(values: list[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


_AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "SUM": sum,
    "AVG": lambda v: sum(v) / len(v),
    "MIN": min,
    "MAX": max,
    "STDDEV": _stddev,
}


def _aggregate(name: str, value: Value) -> Value:
    fn = _AGGREGATES[name]
    if isinstance(value, TimeSeries):  # one series: a scalar over its datapoints
        values = [v for v in value.points.values() if not math.isnan(v)]
        return fn(values) if values else math.nan
    if isinstance(value, list):
        stamps = sorted({t for s in value for t in s.points})
        result = {}
        for t in stamps:
            values = [s.points[t] for s in value if t in s.points and not math.isnan(s.points[t])]
            if values:
                result[t] = fn(values)
        return TimeSeries(result)
    return value


def _fill(series: TimeSeries, how: Value | str, grid: Grid) -> TimeSeries:
    stamps = grid.timestamps()
    known = sorted(series.points)
    filled: dict[int, float] = {}
    last: float | None = None
    for t in stamps:
        if t in series.points:
            filled[t] = last = series.points[t]
        elif how == "REPEAT":
            if last is not None:
                filled[t] = last
        elif how == "LINEAR":
            before = [k for k in known if k < t]
            after = [k for k in known if k > t]
            if before and after:
                a, b = before[-1], after[0]
                va, vb = series.points[a], series.points[b]
                filled[t] = va + (vb - va) * (t - a) / (b - a)
        elif isinstance(how, float):
            filled[t] = how
        else:
            raise MathError("FILL's second argument is a number, REPEAT or LINEAR")
    return TimeSeries(filled, series.label)


def _rate(series: TimeSeries) -> TimeSeries:
    stamps = sorted(series.points)
    return TimeSeries(
        {b: (series.points[b] - series.points[a]) / (b - a) for a, b in itertools.pairwise(stamps)}
    )


def _diff(series: TimeSeries) -> TimeSeries:
    stamps = sorted(series.points)
    return TimeSeries(
        {b: series.points[b] - series.points[a] for a, b in itertools.pairwise(stamps)}
    )


def _map(fn: Callable[[float], float]) -> Callable[[TimeSeries], TimeSeries]:
    return lambda s: TimeSeries({t: fn(v) for t, v in s.points.items()}, s.label)


_ELEMENTWISE: dict[str, Callable[[TimeSeries], TimeSeries]] = {
    "RATE": _rate,
    "DIFF": _diff,
    "ABS": _map(abs),
    "CEIL": _map(lambda v: float(math.ceil(v))),
    "FLOOR": _map(lambda v: float(math.floor(v))),
}
