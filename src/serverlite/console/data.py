"""Tables and buckets: scan or query a DynamoDB table by its key, browse and download
S3 objects."""

from __future__ import annotations

import json
from typing import Any

from serverlite.aws.backend import AwsError
from serverlite.console.context import ConsoleContext
from serverlite.console.html import esc, href, link, table, when

PAGE = 50


async def tables(ctx: ConsoleContext) -> str:
    if not ctx.has("dynamodb"):
        return '<p class="muted">DynamoDB is not running</p>'
    names = (await ctx.call("dynamodb", "ListTables", {})).get("TableNames", [])
    rows = []
    for name in names:
        desc = (await ctx.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
        keys = ", ".join(f"{k['AttributeName']} ({k['KeyType']})" for k in desc["KeySchema"])
        rows.append((link(f"tables/{name}", name), esc(keys), esc(desc.get("ItemCount", 0))))
    return table(("Table", "Key", "Items"), rows, "no tables")


async def table_page(ctx: ConsoleContext, name: str) -> str:
    desc = (await ctx.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
    keys = {k["KeyType"]: k["AttributeName"] for k in desc["KeySchema"]}
    target = esc(href(f"tables/{name}/query"))
    sort = (
        f' <label>{esc(keys["RANGE"])} begins with <input name="sort" size="20"></label>'
        if "RANGE" in keys
        else ""
    )
    return (
        f'<form hx-post="{target}" hx-target="#items">'
        f'<label>{esc(keys["HASH"])} = <input name="key" size="30"></label>{sort} '
        '<button type="submit">Query</button> <span class="muted">(empty: scan)</span></form>'
        f'<div id="items" hx-post="{target}" hx-trigger="load">loading…</div>'
    )


async def query(ctx: ConsoleContext, name: str, key: str, sort: str) -> str:
    """A Query on the partition key (and a sort key prefix), or a Scan when no key is given."""
    try:
        desc = (await ctx.call("dynamodb", "DescribeTable", {"TableName": name}))["Table"]
        types = {a["AttributeName"]: a["AttributeType"] for a in desc["AttributeDefinitions"]}
        keys = {k["KeyType"]: k["AttributeName"] for k in desc["KeySchema"]}
        if key:
            hash_key = keys["HASH"]
            params: dict[str, Any] = {
                "TableName": name,
                "KeyConditionExpression": "#k = :k",
                "ExpressionAttributeNames": {"#k": hash_key},
                "ExpressionAttributeValues": {":k": {types[hash_key]: key}},
                "Limit": PAGE,
            }
            if sort and "RANGE" in keys:
                params["KeyConditionExpression"] += " AND begins_with(#s, :s)"
                params["ExpressionAttributeNames"]["#s"] = keys["RANGE"]
                params["ExpressionAttributeValues"][":s"] = {types[keys["RANGE"]]: sort}
            answer = await ctx.call("dynamodb", "Query", params)
        else:
            answer = await ctx.call("dynamodb", "Scan", {"TableName": name, "Limit": PAGE})
    except AwsError as exc:
        return f'<p class="err">{esc(exc.code)}: {esc(exc.message)}</p>'
    items = [_plain(item) for item in answer.get("Items", [])]
    columns = list(dict.fromkeys(k for item in items for k in item))[:12]
    rows = (
        [f'<span class="cell">{esc(_show(item.get(c, "")))}</span>' for c in columns]
        for item in items
    )
    more = " (more: narrow the query)" if answer.get("LastEvaluatedKey") else ""
    return f"<p>{len(items)} items{more}</p>" + table(columns, rows, "no items")


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: deserializer.deserialize(v) for k, v in item.items()}


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def buckets(ctx: ConsoleContext) -> str:
    store = _s3(ctx)
    if store is None:
        return '<p class="muted">S3 is not running</p>'
    rows = ((link(f"buckets/{b.name}", b.name), esc(when(b.created))) for b in store.db.buckets())
    return table(("Bucket", "Created"), rows, "no buckets")


def bucket_page(ctx: ConsoleContext, name: str, prefix: str) -> str:
    store = _s3(ctx)
    if store is None or store.db.bucket(name) is None:
        return f'<p class="err">no bucket {esc(name)}</p>'
    objects = store.db.latest_after(name, prefix, "", 1000)
    rows = (
        (
            f'<a href="{esc(href(f"buckets/{name}/object"))}?key={esc(o.key)}">{esc(o.key)}</a>',
            esc(o.size),
            esc(o.headers.get("Content-Type", "")),
            esc(when(o.modified)),
        )
        for o in objects
        if not o.delete_marker
    )
    return (
        f'<form method="get"><label>Prefix <input name="prefix" value="{esc(prefix)}"></label>'
        "<button>List</button></form>" + table(("Key", "Size", "Type", "Modified"), rows, "empty")
    )


def _s3(ctx: ConsoleContext) -> Any:
    """The S3 service's context: its store's read API (S3 speaks rest-xml, which the
    local client does not call)."""
    service = ctx.service("s3")
    return None if service is None else service.ctx


def object_file(ctx: ConsoleContext, name: str, key: str) -> tuple[Any, str] | None:
    """The object's file and its content type, or None."""
    store = _s3(ctx)
    found = store.db.get(name, key) if store is not None else None
    if found is None or found.blob is None:
        return None
    return store.blobs.path(found.blob), found.headers.get(
        "Content-Type", "application/octet-stream"
    )
