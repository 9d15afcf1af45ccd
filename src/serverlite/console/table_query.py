"""A table's items: Query with a full key condition on the table or one of its indexes,
or Scan, either with a filter, a page at a time.

What the DynamoDB console's "Explore items" builds, made into the same API calls boto3
would send: the partition key equal to a value and, optionally, the sort key compared
(=, <, <=, >, >=, BETWEEN, begins_with: the only key conditions Query accepts); on the
table, a global or a local secondary index (IndexName); a FilterExpression of up to
``FILTERS`` conditions joined with AND, applied after the key condition (and after
``Limit``, as DynamoDB does: a page can hold fewer items than the limit and still
have a next one); ``LastEvaluatedKey`` carried to the next page as
``ExclusiveStartKey``. Attribute names and values always go through
ExpressionAttributeNames and ExpressionAttributeValues, so any name (a reserved word,
a dash) works.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, table

PAGE = 50
FILTERS = 3
SORT_OPERATORS = ("", "=", "<", "<=", ">", ">=", "between", "begins_with")
FILTER_OPERATORS = (
    "=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "between",
    "begins_with",
    "contains",
    "attribute_exists",
    "attribute_not_exists",
)
FILTER_TYPES = ("S", "N", "BOOL")


@dataclass(frozen=True)
class Keys:
    """The key schema queried: the table's or an index's, with the attributes' types."""

    index: str  # "" for the table itself
    hash: str
    range: str | None
    types: Mapping[str, str]


async def describe(ctx: ConsoleContext, name: str) -> dict[str, Any]:
    table_desc: dict[str, Any] = (await ctx.call("dynamodb", "DescribeTable", {"TableName": name}))[
        "Table"
    ]
    return table_desc


def key_schemas(desc: Mapping[str, Any]) -> list[Keys]:
    """The table's key, then each GSI's and LSI's, by name."""
    types = {a["AttributeName"]: a["AttributeType"] for a in desc["AttributeDefinitions"]}

    def keys(index: str, schema: list[dict[str, str]]) -> Keys:
        by_type = {k["KeyType"]: k["AttributeName"] for k in schema}
        return Keys(index, by_type["HASH"], by_type.get("RANGE"), types)

    found = [keys("", desc["KeySchema"])]
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        found += [keys(i["IndexName"], i["KeySchema"]) for i in desc.get(kind, [])]
    return found


def page_body(name: str, desc: Mapping[str, Any]) -> str:
    schemas = key_schemas(desc)
    target = esc(href(f"tables/{name}/query"))
    return (
        f'<form id="query-form" hx-post="{target}" hx-target="#items">'
        f"{form_fields(name, schemas, schemas[0])}</form>"
        f'<div id="items" hx-post="{target}" hx-vals=\'{{"mode": "scan"}}\' '
        'hx-trigger="load">loading…</div>'
    )


def form_fields(name: str, schemas: list[Keys], keys: Keys) -> str:
    """The form's fields for one key schema (the index picker swaps them for another's)."""
    indexes = "".join(
        f'<option value="{esc(k.index)}"{" selected" if k.index == keys.index else ""}>'
        f"{esc(_describe_keys(k))}</option>"
        for k in schemas
    )
    sort = ""
    if keys.range is not None:
        operators = _options(SORT_OPERATORS, {"": "(any)"})
        sort = (
            f' <label>{esc(keys.range)} <select name="sk_op">{operators}</select></label>'
            ' <input name="sk" size="16" placeholder="value">'
            ' <input name="sk2" size="16" placeholder="and (BETWEEN)">'
        )
    filters = "".join(
        f'<div class="filter"><label>Filter <input name="f{i}_attr" size="14" '
        f'placeholder="attribute"></label> <select name="f{i}_op">'
        f"{_options(FILTER_OPERATORS, {})}</select> "
        f'<select name="f{i}_type">{_options(FILTER_TYPES, {})}</select> '
        f'<input name="f{i}_value" size="14" placeholder="value"> '
        f'<input name="f{i}_value2" size="10" placeholder="and (BETWEEN)"></div>'
        for i in range(FILTERS)
    )
    swap = esc(href(f"tables/{name}/form"))
    return (
        f'<label>On <select name="index" hx-get="{swap}" hx-target="#query-form" '
        f'hx-trigger="change">{indexes}</select></label>'
        f'<div class="keys"><label>{esc(keys.hash)} = <input name="pk" size="24"></label>'
        f"{sort}</div>{filters}"
        f'<label>Page size <input name="limit" size="4" value="{PAGE}"></label> '
        '<button type="submit" name="mode" value="query">Query</button> '
        '<button type="submit" name="mode" value="scan">Scan</button>'
    )


def _describe_keys(keys: Keys) -> str:
    what = f"index {keys.index}" if keys.index else "the table"
    sort = f", {keys.range}" if keys.range else ""
    return f"{what} ({keys.hash}{sort})"


def _options(values: tuple[str, ...], labels: Mapping[str, str]) -> str:
    return "".join(f'<option value="{esc(v)}">{esc(labels.get(v, v))}</option>' for v in values)


def request(desc: Mapping[str, Any], form: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
    """The operation (Query or Scan) and its parameters, as boto3 would send them.
    Raises ValueError for a form that cannot make one (said on the page)."""
    schemas = {k.index: k for k in key_schemas(desc)}
    keys = schemas.get(form.get("index", ""))
    if keys is None:
        raise ValueError(f"no index {form.get('index')!r}")
    params: dict[str, Any] = {"TableName": desc["TableName"]}
    if keys.index:
        params["IndexName"] = keys.index
    names: dict[str, str] = {}
    values: dict[str, Any] = {}

    def name(attribute: str) -> str:
        placeholder = f"#n{len(names)}"
        names[placeholder] = attribute
        return placeholder

    def value(raw: str, kind: str) -> str:
        placeholder = f":v{len(values)}"
        values[placeholder] = _typed(raw, kind)
        return placeholder

    operation = "Query" if form.get("mode", "query") == "query" else "Scan"
    if operation == "Query":
        if not form.get("pk"):
            raise ValueError(f"a query needs the partition key {keys.hash}")
        condition = f"{name(keys.hash)} = {value(form['pk'], keys.types[keys.hash])}"
        op = form.get("sk_op", "")
        if op and keys.range is not None:
            kind = keys.types[keys.range]
            condition += " AND " + _comparison(
                name(keys.range), op, form.get("sk", ""), form.get("sk2", ""), kind, value
            )
        params["KeyConditionExpression"] = condition
    filters = []
    for i in range(FILTERS):
        attribute = form.get(f"f{i}_attr", "").strip()
        if not attribute:
            continue
        filters.append(
            _comparison(
                name(attribute),
                form.get(f"f{i}_op", "="),
                form.get(f"f{i}_value", ""),
                form.get(f"f{i}_value2", ""),
                form.get(f"f{i}_type", "S"),
                value,
            )
        )
    if filters:
        params["FilterExpression"] = " AND ".join(filters)
    if names:
        params["ExpressionAttributeNames"] = names
    if values:
        params["ExpressionAttributeValues"] = values
    try:
        params["Limit"] = max(1, min(1000, int(form.get("limit") or PAGE)))
    except ValueError:
        raise ValueError("the page size is not a number") from None
    if form.get("start"):
        params["ExclusiveStartKey"] = json.loads(form["start"])
    return operation, params


def _comparison(attribute: str, op: str, first: str, second: str, kind: str, value: Any) -> str:
    if op == "between":
        return f"{attribute} BETWEEN {value(first, kind)} AND {value(second, kind)}"
    if op in ("begins_with", "contains"):
        return f"{op}({attribute}, {value(first, kind)})"
    if op in ("attribute_exists", "attribute_not_exists"):
        return f"{op}({attribute})"
    if op in ("=", "<>", "<", "<=", ">", ">="):
        return f"{attribute} {op} {value(first, kind)}"
    raise ValueError(f"unknown comparison {op!r}")


def _typed(raw: str, kind: str) -> dict[str, Any]:
    """A form's text as an AttributeValue of the key's or the filter's type."""
    if kind == "N":
        try:
            float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
        return {"N": raw.strip()}
    if kind == "BOOL":
        return {"BOOL": raw.strip().lower() in ("true", "1", "yes")}
    if kind == "B":
        return {"B": raw.encode()}
    return {"S": raw}


async def run(ctx: ConsoleContext, name: str, form: Mapping[str, str]) -> str:
    try:
        desc = await describe(ctx, name)
        operation, params = request(desc, form)
        answer = await ctx.call("dynamodb", operation, params)
    except AwsError as exc:
        return f'<p class="err" id="query-error">{esc(exc.code)}: {esc(exc.message)}</p>'
    except ValueError as exc:
        return f'<p class="err" id="query-error">{esc(exc)}</p>'
    return _items(name, desc, form, operation, answer)


def _items(
    name: str,
    desc: Mapping[str, Any],
    form: Mapping[str, str],
    operation: str,
    answer: Mapping[str, Any],
) -> str:
    items = [_plain(item) for item in answer.get("Items", [])]
    key_names = [k["AttributeName"] for k in desc["KeySchema"]]
    columns = list(dict.fromkeys([*key_names, *(k for item in items for k in item)]))[:16]
    rows = (
        [
            f'<span class="cell" data-column="{esc(c)}">{esc(_show(item.get(c, "")))}</span>'
            for c in columns
        ]
        for item in items
    )
    page = int(form.get("page") or 1)
    more = ""
    last = answer.get("LastEvaluatedKey")
    if last:
        carried = {"start": json.dumps(last), "page": str(page + 1), "mode": form.get("mode", "")}
        more = (
            f'<button id="next-page" hx-post="{esc(href(f"tables/{name}/query"))}" '
            f"hx-include=\"#query-form\" hx-vals='{esc(json.dumps(carried))}' "
            'hx-target="#items">Next page</button>'
        )
    summary = (
        f'<p id="query-summary">{esc(operation)} · page {page} · '
        f'<span id="item-count">{len(items)}</span> items '
        f"(scanned {esc(answer.get('ScannedCount', len(items)))})"
        f"{'' if last else ' · last page'}</p>"
    )
    return summary + table(columns, rows, "no items") + more


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):  # a number, as DynamoDB holds it (no float rounding)
        return str(value)
    return json.dumps(value, default=str)
