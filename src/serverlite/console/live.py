"""Live views: server-sent events that push a page's blocks when they change.

A page that shows something live opens one ``EventSource`` (htmx's sse extension,
``sse-connect``) on its stream; each live block of the page is an element with
``sse-swap="<block>"``. The stream renders each block on its own period and sends it
(an event named after the block, its data the HTML) only when the HTML differs from
what it last sent, so an unchanged view costs the browser nothing and the network a
keep-alive comment every few seconds.

All the work happens inside a stream, that is while a page is open: nothing is
subscribed to, hooked or polled for the console otherwise, so the AWS endpoint and
the gateways run the same code with the console as without it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from serverlite.console.html import esc, href

Render = Callable[[], Awaitable[str]]
TICK_S = 0.25  # how often the stream looks whether a block is due
# A comment when nothing was sent for this long. It is how a closed page is found: the
# endpoint keeps a connection its client shut open until what was asked is answered
# (aws/connection.py), so the stream learns the page is gone when a write fails (the
# second write after the close, the first drawing a reset): within ~2 * KEEP_ALIVE_S.
KEEP_ALIVE_S = 2.0


open_streams = 0  # streams running now: pages open (GET /_console/live says it)


@dataclass(frozen=True)
class Block:
    name: str  # the SSE event and the element's sse-swap
    render: Render
    every: float  # seconds between renders


def region(path: str, inner: str) -> str:
    """The element that holds a page's stream: its live blocks are inside it."""
    return f'<div hx-ext="sse" sse-connect="{esc(href(path))}">{inner}</div>'


def block(name: str, content: str, ident: str = "") -> str:
    """A live block, starting with ``content``; the stream replaces its inner HTML."""
    marker = f' id="{esc(ident)}"' if ident else ""
    return f'<div{marker} sse-swap="{esc(name)}" hx-swap="innerHTML">{content}</div>'


def event(name: str, data: str) -> str:
    """One SSE event; each line of the data is a ``data:`` field (the browser joins them
    with newlines, so the HTML arrives as rendered)."""
    lines = "\n".join(f"data: {line}" for line in data.split("\n"))
    return f"event: {name}\n{lines}\n\n"


async def stream(
    blocks: Sequence[Block],
    disconnected: Callable[[], Awaitable[bool]],
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[str]:
    """Each block rendered on its period, sent when changed, until the page goes away.
    The first render of each is sent at once: the page's copy may be a moment old."""
    global open_streams
    open_streams += 1
    try:
        async for part in _stream(blocks, disconnected, clock):
            yield part
    finally:
        open_streams -= 1


async def _stream(
    blocks: Sequence[Block],
    disconnected: Callable[[], Awaitable[bool]],
    clock: Callable[[], float],
) -> AsyncIterator[str]:
    sent: dict[str, str] = {}
    due = dict.fromkeys((b.name for b in blocks), 0.0)
    quiet_since = clock()
    while not await disconnected():
        now = clock()
        for found in blocks:
            if now < due[found.name]:
                continue
            due[found.name] = now + found.every
            html = await found.render()
            if sent.get(found.name) != html:
                sent[found.name] = html
                quiet_since = now
                yield event(found.name, html)
        if clock() - quiet_since >= KEEP_ALIVE_S:
            quiet_since = clock()
            yield ": keep-alive\n\n"
        await asyncio.sleep(TICK_S)
