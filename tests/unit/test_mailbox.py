import asyncio

import pytest

from serverlite.mailbox import Mailbox


def test_items_come_out_in_order_to_a_consumer_that_waits_for_them():
    async def go() -> list[int]:
        box: Mailbox[int] = Mailbox()
        loop = asyncio.get_running_loop()
        loop.call_soon(box.put, 1)
        loop.call_soon(box.put, 2)
        return [await box.get(), await box.get()]

    assert asyncio.run(go()) == [1, 2]


def test_a_closed_mailbox_still_hands_out_what_it_holds_then_raises():
    async def go() -> tuple[int, int]:
        box: Mailbox[int] = Mailbox()
        box.put(7)
        box.close()
        first = await box.get()
        with pytest.raises(EOFError):
            await box.get()
        return first, len(box)

    assert asyncio.run(go()) == (7, 0)


def test_the_consumers_loop_is_looked_up_once(monkeypatch):
    # asyncio.get_running_loop() is a getpid() system call on Python 3.11: not per wait.
    lookups = []
    real = asyncio.get_running_loop

    def counted() -> asyncio.AbstractEventLoop:
        lookups.append(1)
        return real()

    async def go() -> list[int]:
        box: Mailbox[int] = Mailbox()
        loop = real()
        got = []
        for n in range(3):
            loop.call_soon(box.put, n)
            got.append(await box.get())
        return got

    monkeypatch.setattr(asyncio, "get_running_loop", counted)
    assert asyncio.run(go()) == [0, 1, 2]
    assert len(lookups) == 1
