"""Logs Insights queries, the common commands: ``fields``/``display``, ``filter``,
``parse``, ``stats count(*)/count(f)/sum/avg/min/max ... by field, bin(5m)``, ``sort``,
``limit``, piped with ``|``.

Each event has @timestamp, @message, @logStream, @log and @ingestionTime, the fields
of a JSON message (nested ones dotted: ``detail.user``), and for Lambda's REPORT lines
@type, @requestId, @duration, @billedDuration, @memorySize, @maxMemoryUsed and
@initDuration, as Insights discovers them. ``filter`` takes comparisons (``= != < <=
> >=``), ``like "text"``, ``like /regex/``, ``in [..]``, ``and``/``or``/``not`` and
parentheses. Other commands and functions are refused naming what is missing.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from serverlite.aws.logs.store import Event

Row = dict[str, Any]
_REPORT = re.compile(
    r"REPORT RequestId: (?P<rid>\S+)\tDuration: (?P<d>[\d.]+) ms\tBilled Duration: (?P<b>\d+) ms"
    r"\tMemory Size: (?P<m>\d+) MB\tMax Memory Used: (?P<u>\d+) MB\t"
    r"(?:Init Duration: (?P<i>[\d.]+) ms\t)?"
)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class QueryError(ValueError):
    pass


def _stamp(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000)) + f".{ms % 1000:03d}"


def _flatten(value: Any, prefix: str, row: Row) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), row)
    elif prefix:
        row[prefix] = value


def event_row(event: Event, group: str, account_id: str) -> Row:
    row: Row = {
        "@timestamp": event.timestamp,
        "@message": event.message,
        "@logStream": event.stream,
        "@log": f"{account_id}:{group}",
        "@ingestionTime": event.ingestion,
    }
    message = event.message
    if message.startswith("{"):
        with contextlib.suppress(ValueError):
            _flatten(json.loads(message), "", row)
    elif message.startswith("REPORT "):
        found = _REPORT.match(message)
        if found:
            row |= {
                "@type": "REPORT",
                "@requestId": found["rid"],
                "@duration": float(found["d"]),
                "@billedDuration": float(found["b"]),
                "@memorySize": float(found["m"]) * 1e6,
                "@maxMemoryUsed": float(found["u"]) * 1e6,
            }
            if found["i"]:
                row["@initDuration"] = float(found["i"])
    return row


def run(query: str, rows: list[Row], limit: int | None) -> list[Row]:
    display: list[str] | None = None
    # Insights reads the newest events first: limit without sort keeps the latest.
    rows = sorted(rows, key=lambda r: r.get("@timestamp", 0), reverse=True)
    for command in _commands(query):
        word, _, rest = command.partition(" ")
        word = word.lower()
        rest = rest.strip()
        if word in ("fields", "display"):
            names = [n.strip() for n in rest.split(",") if n.strip()]
            display = names
        elif word == "filter":
            predicate = _Filter(rest).parse()
            rows = [r for r in rows if predicate(r)]
        elif word == "parse":
            rows = [_parse(r, rest) for r in rows]
        elif word == "stats":
            rows, display = _stats(rest, rows)
        elif word == "sort":
            rows = _sort(rest, rows)
        elif word == "limit":
            if not rest.isdigit():
                raise QueryError("limit takes a number")
            rows = rows[: int(rest)]
        else:
            raise QueryError(f"serverlite does not support the Insights command {word!r}")
    if limit is not None:
        rows = rows[:limit]
    names = display or ["@timestamp", "@message"]
    return [{n: r[n] for n in names if n in r} | {"@ptr": r.get("@ptr", "")} for r in rows]


def results(rows: list[Row]) -> list[list[dict[str, str]]]:
    """GetQueryResults' rows: [{"field", "value"}] with every value a string."""
    out = []
    for row in rows:
        fields = []
        for name, value in row.items():
            if name == "@ptr" and not value:
                continue
            fields.append({"field": name, "value": _text(name, value)})
        out.append(fields)
    return out


def _text(name: str, value: Any) -> str:
    if name in ("@timestamp", "@ingestionTime") and isinstance(value, int):
        return _stamp(value)
    if isinstance(value, float) and value.is_integer() and not name.startswith("@"):
        return str(int(value))
    return value if isinstance(value, str) else str(value)


def _commands(query: str) -> Iterable[str]:
    """The query split at ``|`` outside quotes and ``like /regex/``."""
    parts, current, quote = [], "", None
    for ch in query:
        if quote is not None:
            current += ch
            if ch == quote:
                quote = None
            continue
        if ch in "\"'" or (ch == "/" and current.rstrip().lower().endswith("like")):
            quote = ch
        elif ch == "|":
            parts.append(current)
            current = ""
            continue
        current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<re>/(?:[^/\\]|\\.)*/)'
    r"|(?P<num>-?\d+(?:\.\d+)?)|(?P<op><=|>=|!=|=|<|>|\(|\)|\[|\]|,)"
    r"|(?P<name>[@\w.$-]+))"
)


class _Filter:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        while pos < len(text):
            found = _TOKEN.match(text, pos)
            if found is None or found.end() == pos:
                raise QueryError(f"Cannot read the filter at {text[pos : pos + 20]!r}")
            kind = found.lastgroup or ""
            self.tokens.append((kind, found.group(kind)))
            pos = found.end()
        self.pos = 0

    def parse(self) -> Callable[[Row], bool]:
        result = self.either()
        if self.pos != len(self.tokens):
            raise QueryError(f"Unexpected {self.tokens[self.pos][1]!r} in the filter")
        return result

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise QueryError("The filter ends too soon")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def either(self) -> Callable[[Row], bool]:
        left = self.both()
        while (self.peek() or "").lower() == "or":
            self.take()
            right = self.both()
            left = _either(left, right)
        return left

    def both(self) -> Callable[[Row], bool]:
        left = self.unary()
        while (self.peek() or "").lower() == "and":
            self.take()
            right = self.unary()
            left = _both(left, right)
        return left

    def unary(self) -> Callable[[Row], bool]:
        if (self.peek() or "").lower() == "not":
            self.take()
            inner = self.unary()
            return lambda r: not inner(r)
        if self.peek() == "(":
            self.take()
            inner = self.either()
            self.take()
            return inner
        return self.comparison()

    def value(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1]
        if kind == "num":
            return float(text)
        if kind == "re":
            return re.compile(text[1:-1])
        raise QueryError(f"Expected a value, found {text!r}")

    def comparison(self) -> Callable[[Row], bool]:
        kind, field = self.take()
        if kind != "name":
            raise QueryError(f"Expected a field, found {field!r}")
        op = self.take()[1].lower()
        if op == "not" and (self.peek() or "").lower() == "like":
            self.take()
            wanted = self.value()
            return lambda r: not _like(r.get(field), wanted)
        if op == "like":
            wanted = self.value()
            return lambda r: _like(r.get(field), wanted)
        if op == "in":
            if self.take()[1] != "[":
                raise QueryError("in takes a list: in [..]")
            items = [self.value()]
            while self.peek() == ",":
                self.take()
                items.append(self.value())
            self.take()
            return lambda r: any(_equal(r.get(field), i) for i in items)
        if op not in ("=", "!=", "<", "<=", ">", ">="):
            raise QueryError(f"serverlite does not support {op!r} in a filter")
        wanted = self.value()
        return lambda r: _compare(r.get(field), op, wanted)


def _either(a: Callable[[Row], bool], b: Callable[[Row], bool]) -> Callable[[Row], bool]:
    return lambda r: a(r) or b(r)


def _both(a: Callable[[Row], bool], b: Callable[[Row], bool]) -> Callable[[Row], bool]:
    return lambda r: a(r) and b(r)


def _like(value: Any, wanted: Any) -> bool:
    if value is None:
        return False
    text = str(value)
    if isinstance(wanted, re.Pattern):
        return wanted.search(text) is not None
    return str(wanted) in text


def _equal(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, float):
        try:
            return float(value) == wanted
        except (TypeError, ValueError):
            return False
    return value is not None and str(value) == str(wanted)


def _compare(value: Any, op: str, wanted: Any) -> bool:
    if value is None:
        return op == "!="
    if op == "=":
        return _equal(value, wanted)
    if op == "!=":
        return not _equal(value, wanted)
    a: Any
    b: Any
    try:
        a, b = (float(value), float(wanted)) if isinstance(wanted, float) else (str(value), wanted)
    except (TypeError, ValueError):
        return False
    return bool({"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op])


_PARSE = re.compile(
    r'^(?:(?P<field>[@\w.]+)\s+)?(?P<pattern>"[^"]*"|/.*/)\s*(?:as\s+(?P<names>.+))?$'
)


def _parse(row: Row, spec: str) -> Row:
    found = _PARSE.match(spec)
    if found is None:
        raise QueryError('parse takes [field] "glob * pattern" as a, b  or  /regex (?<name>..)/')
    source = str(row.get(found["field"] or "@message", ""))
    pattern = found["pattern"]
    if pattern.startswith("/"):
        regex = re.compile(pattern[1:-1].replace("(?<", "(?P<"))
        match = regex.search(source)
        return row | (match.groupdict() if match else {})
    names = [n.strip() for n in (found["names"] or "").split(",") if n.strip()]
    parts = pattern[1:-1].split("*")
    if len(parts) - 1 != len(names):
        raise QueryError("parse needs one name for each * of its pattern")
    regex = re.compile("(.*?)".join(re.escape(p) for p in parts) + ("" if parts[-1] else "$"))
    match = regex.search(source)
    if match is None:
        return row
    return row | dict(zip(names, match.groups(), strict=True))


_AGG = re.compile(
    r"(?P<fn>count|sum|avg|min|max)\((?P<arg>[^)]*)\)(?:\s+as\s+(?P<alias>[@\w.]+))?", re.I
)
_BIN = re.compile(
    r"bin\((?P<n>\d+(?:\.\d+)?)(?P<unit>ms|s|min|m|h|d)\)(?:\s+as\s+(?P<alias>[@\w.]+))?"
)


def _stats(spec: str, rows: list[Row]) -> tuple[list[Row], list[str]]:
    split = re.search(r"\s+by\s+", spec)
    head, by = (spec[: split.start()], spec[split.end() :]) if split else (spec, "")
    aggregates = []
    for part in _split_commas(head):
        found = _AGG.fullmatch(part.strip())
        if found is None:
            raise QueryError(f"serverlite does not support the stats function in {part.strip()!r}")
        name = found["alias"] or f"{found['fn']}({found['arg']})"
        aggregates.append((found["fn"].lower(), found["arg"].strip(), name))
    keys: list[tuple[str, Callable[[Row], Any]]] = []
    for raw in _split_commas(by):
        part = raw.strip()
        if not part:
            continue
        binned = _BIN.fullmatch(part)
        if binned:
            width = float(binned["n"]) * _UNITS[binned["unit"]] * 1000
            keys.append((binned["alias"] or part, _bin(width)))
        else:
            keys.append((part, _field(part)))
    groups: dict[tuple[Any, ...], list[Row]] = {}
    for row in rows:
        groups.setdefault(tuple(fn(row) for _, fn in keys), []).append(row)
    out = []
    for key, members in groups.items():
        result: Row = {label: value for (label, _), value in zip(keys, key, strict=True)}
        for fn, arg, name in aggregates:
            result[name] = _aggregate(fn, arg, members)
        out.append(result)
    if keys and keys[0][0].startswith("bin("):
        out.sort(key=lambda r: r[keys[0][0]], reverse=True)
    return out, [label for label, _ in keys] + [name for _, _, name in aggregates]


def _bin(width: float) -> Callable[[Row], Any]:
    return lambda r: _stamp(int(r["@timestamp"] // width * width))


def _field(name: str) -> Callable[[Row], Any]:
    return lambda r: r.get(name)


def _split_commas(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    parts.append(current)
    return [p for p in parts if p.strip()]


def _aggregate(fn: str, arg: str, rows: list[Row]) -> Any:
    if fn == "count":
        if arg in ("*", ""):
            return len(rows)
        return sum(1 for r in rows if r.get(arg) is not None)
    values = []
    for r in rows:
        try:
            values.append(float(r[arg]))
        except (KeyError, TypeError, ValueError):
            continue
    if not values:
        return None
    if fn == "sum":
        return sum(values)
    if fn == "avg":
        return sum(values) / len(values)
    return min(values) if fn == "min" else max(values)


def _sort(spec: str, rows: list[Row]) -> list[Row]:
    words = spec.split()
    if not words:
        raise QueryError("sort takes a field")
    field = words[0]
    descending = len(words) < 2 or words[1].lower() == "desc"

    def key(row: Row) -> tuple[int, Any]:
        value = row.get(field)
        if value is None:
            return (0, 0)
        if isinstance(value, (int, float)) and not math.isnan(value):
            return (1, value)
        return (2, str(value))

    return sorted(rows, key=key, reverse=descending)
