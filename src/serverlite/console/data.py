"""Tables and buckets: the tables with their keys (a table's items: ``table_query.py``),
browse and download S3 objects."""

from __future__ import annotations

from typing import Any

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
