"""Pages as Python: escaping, tables, forms and the layout every view shares."""

from __future__ import annotations

import html
import json
import time
from collections.abc import Iterable, Sequence

from serverlite.console import PREFIX

NAV = (
    ("", "Overview"),
    ("functions", "Functions"),
    ("traces", "Traces"),
    ("metrics", "Metrics & alarms"),
    ("queues", "Queues & topics"),
    ("tables", "Tables & buckets"),
    ("events", "Events"),
    ("statemachines", "State machines"),
    ("cost", "Cost"),
)

STYLE = """
body{font:14px system-ui,sans-serif;margin:0;color:#1d2733;background:#f6f7f9}
header{background:#232f3e;color:#fff;padding:8px 16px;display:flex;gap:16px;flex-wrap:wrap}
header a{color:#d5dbe3;text-decoration:none}header a.on{color:#ff9900;font-weight:600}
main{padding:16px;max-width:1400px}h1{font-size:20px}h2{font-size:16px;margin-top:24px}
table{border-collapse:collapse;background:#fff;margin:6px 0}
td,th{border:1px solid #d8dde3;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4}pre{background:#fff;border:1px solid #d8dde3;padding:8px;overflow:auto;
max-height:420px;margin:4px 0}.err{color:#b3261e}.ok{color:#1e7b34}.warn{color:#8a5a00}
.logs{font:12px ui-monospace,monospace;white-space:pre-wrap}textarea{width:100%;font:12px
ui-monospace,monospace}form{background:#fff;border:1px solid #d8dde3;padding:8px;margin:6px 0}
svg text{font:11px system-ui,sans-serif}.muted{color:#667}.charts{display:flex;gap:16px}
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def href(path: str) -> str:
    return f"{PREFIX}/{path.lstrip('/')}"


def link(path: str, text: object) -> str:
    return f'<a href="{esc(href(path))}">{esc(text)}</a>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], empty: str = "none") -> str:
    """Cells are HTML already (escape what is data)."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="muted">{esc(empty)}</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def pre(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, indent=2, default=str)
    return f"<pre>{esc(text)}</pre>"


def when(epoch: float | None) -> str:
    if not epoch:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def page(title: str, active: str, body: str, token: str) -> str:
    nav = "".join(
        f'<a href="{esc(href(path))}"{" class=on" if path == active else ""}>{esc(name)}</a>'
        for path, name in NAV
    )
    headers = esc(json.dumps({"X-Console-Token": token}))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{esc(title)} · serverlite</title><link rel=icon href='data:,'>"
        '<meta name="htmx-config" content=\'{"allowEval":false,"includeIndicatorStyles":false}\'>'
        f'<script src="{href("static/htmx.min.js")}"></script>'
        f'<script src="{href("static/htmx-ext-sse.min.js")}"></script>'
        f'<script src="{href("static/console.js")}"></script>'
        f"<style>{STYLE}</style></head>"
        f"<body hx-headers='{headers}'><header><strong>serverlite</strong>{nav}</header>"
        f"<main><h1>{esc(title)}</h1>{body}</main></body></html>"
    )
