"""The queue engine with an injected clock, on SQLite in memory (no I/O): retention,
delays, FIFO deduplication windows and group gating, redrive accounting, long polls."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from serverlite.aws.sqs import queue_attributes
from serverlite.aws.sqs.engine import SqsEngine
from serverlite.aws.sqs.message_input import NewMessage
from serverlite.aws.sqs.names import QueueRef
from serverlite.aws.sqs.records import Queue

ACCOUNT = "123456789012"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def engine(clock):
    built = SqsEngine(
        Path(":memory:"), region="us-east-1", account=ACCOUNT, endpoint="http://x", clock=clock
    )
    yield built
    built.close()


def make_queue(engine: SqsEngine, name: str, **attributes: str) -> Queue:
    fifo = name.endswith(".fifo")
    values = {**queue_attributes.defaults(fifo), **attributes}
    return engine.queues.create(QueueRef(ACCOUNT, name), values, {}, engine.clock())


def receive(engine: SqsEngine, queue: Queue, limit: int = 10, visibility: float = 30):
    return engine.receive_now(engine.find(queue.ref), limit, visibility)


def test_messages_expire_after_the_retention_period(engine, clock):
    queue = make_queue(engine, "q", MessageRetentionPeriod="60")
    engine.send(queue, [(NewMessage("old"), None)])
    clock.now += 30
    engine.send(queue, [(NewMessage("new"), None)])
    clock.now += 31  # "old" is 61 s old, "new" 31 s
    assert [m.body for m in receive(engine, queue)] == ["new"]
    assert engine.counts(queue).in_flight == 1
    clock.now += 60
    assert engine.counts(queue).in_flight == 0  # expired while in flight, too


def test_delays_and_counts(engine, clock):
    queue = make_queue(engine, "q", DelaySeconds="5")
    engine.send(
        queue, [(NewMessage("queue delay"), None), (NewMessage("own delay", delay_s=0), None)]
    )
    counts = engine.counts(queue)
    assert (counts.visible, counts.delayed, counts.in_flight) == (1, 1, 0)
    assert [m.body for m in receive(engine, queue)] == ["own delay"]
    clock.now += 5
    counts = engine.counts(queue)
    assert (counts.visible, counts.delayed, counts.in_flight) == (1, 0, 1)


def test_fifo_deduplication_lasts_five_minutes(engine, clock):
    queue = make_queue(engine, "q.fifo")
    first = engine.send(queue, [(NewMessage("a", group_id="g"), "d")])[0]
    clock.now += 299
    again = engine.send(queue, [(NewMessage("a", group_id="g"), "d")])[0]
    assert again.duplicate and again.message_id == first.message_id
    clock.now += 2
    later = engine.send(queue, [(NewMessage("a", group_id="g"), "d")])[0]
    assert not later.duplicate and later.message_id != first.message_id


def test_fifo_group_gating_and_visibility_expiry(engine, clock):
    queue = make_queue(engine, "q.fifo")
    engine.send(
        queue,
        [(NewMessage(f"{g}{i}", group_id=g), f"{g}{i}") for i in range(3) for g in "ab"],
    )
    assert [m.body for m in receive(engine, queue, limit=1)] == ["a0"]
    # Group a has a message in flight: only b's messages, in order.
    assert [m.body for m in receive(engine, queue)] == ["b0", "b1", "b2"]
    assert receive(engine, queue) == []
    clock.now += 31  # every visibility timeout ran out: each group again, in order
    got = receive(engine, queue)
    assert [m.body for m in got] == ["a0", "b0", "a1", "b1", "a2", "b2"]
    assert got[0].receive_count == 2


def test_redrive_accounting_moves_after_max_receive_count(engine, clock):
    dlq = make_queue(engine, "dlq")
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"
    queue = make_queue(
        engine, "src", RedrivePolicy=f'{{"deadLetterTargetArn":"{arn}","maxReceiveCount":3}}'
    )
    engine.send(queue, [(NewMessage("poison"), None)])
    counts = []
    for _ in range(5):
        got = receive(engine, queue, visibility=0)
        counts.append(got[0].receive_count if got else None)
    assert counts == [1, 2, 3, None, None]
    (moved,) = receive(engine, dlq)
    assert moved.body == "poison"
    assert moved.dead_letter_source == f"arn:aws:sqs:us-east-1:{ACCOUNT}:src"


def test_long_poll_wakes_on_send_and_on_visibility_expiry(engine, clock):
    queue = make_queue(engine, "q")

    async def scenario() -> list[str]:
        waiting = asyncio.create_task(engine.receive(queue, 10, 30, wait_s=5))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        engine.send(queue, [(NewMessage("wake"), None)])
        return [m.body for m in await asyncio.wait_for(waiting, 1)]

    assert asyncio.run(scenario()) == ["wake"]
