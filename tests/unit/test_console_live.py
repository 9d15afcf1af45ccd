"""The console's live stream: each block sent first, again only when it changed, and
nothing rendered once the page has gone."""

from __future__ import annotations

import asyncio

from serverlite.console import live


def test_an_event_carries_each_line_as_data() -> None:
    assert live.event("queues", "<p>a</p>\n<p>b</p>") == (
        "event: queues\ndata: <p>a</p>\ndata: <p>b</p>\n\n"
    )


def _run(blocks: list[live.Block], pages_open: int) -> tuple[list[str], int]:
    """The stream's output while a page stays open for ``pages_open`` checks."""
    checks = 0

    async def disconnected() -> bool:
        nonlocal checks
        checks += 1
        return checks > pages_open

    async def collect() -> list[str]:
        return [part async for part in live.stream(blocks, disconnected, clock=lambda: 0.0)]

    original = live.TICK_S
    live.TICK_S = 0.0
    try:
        return asyncio.run(collect()), checks
    finally:
        live.TICK_S = original


def test_a_block_is_sent_first_then_only_when_it_changes() -> None:
    values = iter(["one", "one", "two", "two", "one"])
    renders = 0

    async def render() -> str:
        nonlocal renders
        renders += 1
        return next(values)

    sent, _ = _run([live.Block("b", render, 0.0)], pages_open=5)
    assert sent == ["event: b\ndata: one\n\n", "event: b\ndata: two\n\n", "event: b\ndata: one\n\n"]
    assert renders == 5


def test_nothing_is_rendered_after_the_page_goes() -> None:
    renders = 0

    async def render() -> str:
        nonlocal renders
        renders += 1
        return "x"

    sent, _ = _run([live.Block("b", render, 0.0)], pages_open=0)
    assert sent == [] and renders == 0


def test_each_block_renders_on_its_own_period() -> None:
    counts = {"fast": 0, "slow": 0}

    def counter(name: str) -> live.Render:
        async def render() -> str:
            counts[name] += 1
            return str(counts[name])

        return render

    # the clock never moves: a block with a period renders once, one without each time
    blocks = [live.Block("fast", counter("fast"), 0.0), live.Block("slow", counter("slow"), 5.0)]
    _run(blocks, pages_open=4)
    assert counts == {"fast": 4, "slow": 1}
