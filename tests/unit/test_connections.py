"""The process's connection registry: who makes room at the cap, deadlines, one log line."""

from __future__ import annotations

import asyncio
import logging
import math

import pytest

from serverlite import connections
from serverlite.connections import ConnectionLimits, Connections, default_max_connections


class Fake:
    def __init__(self, registry: Connections, deadline: float = math.inf) -> None:
        self.registry = registry
        self.deadline = deadline
        self.evicted = False
        self.expired = False

    def expire(self) -> None:
        self.expired = True
        self.registry.closed(self)

    def evict(self) -> None:
        self.evicted = True
        self.registry.closed(self)


def test_at_the_cap_the_longest_idle_makes_room_and_busy_ones_never_do(caplog, monkeypatch):
    monkeypatch.setattr(connections, "MIN_IDLE_S", 0)

    async def scenario() -> None:
        registry = Connections(ConnectionLimits(max_connections=3))
        first, second, third = (Fake(registry) for _ in range(3))
        for conn in (first, second, third):
            registry.opened(conn)
        registry.busy(first)  # a request in hand
        registry.idle(second)  # idle again after an answer: now the most recent
        await asyncio.wait_for(registry._make_room(), 1)
        assert (first.evicted, second.evicted, third.evicted) == (False, False, True)
        registry.opened(Fake(registry))
        await asyncio.wait_for(registry._make_room(), 1)
        assert second.evicted and not first.evicted

    with caplog.at_level(logging.WARNING, "serverlite"):
        asyncio.run(scenario())
    assert [r.message.count("the cap") for r in caplog.records] == [1]  # once, not per accept


def test_with_nobody_idle_new_connections_wait_until_one_closes():
    async def scenario() -> None:
        registry = Connections(ConnectionLimits(max_connections=1))
        busy = Fake(registry)
        registry.opened(busy)
        registry.busy(busy)
        waiting = asyncio.create_task(registry._make_room())
        await asyncio.sleep(0.05)
        assert not waiting.done() and not busy.evicted
        registry.closed(busy)
        await asyncio.wait_for(waiting, 1)

    asyncio.run(scenario())


def test_a_connection_idle_for_less_than_a_moment_is_not_closed_to_make_room():
    async def scenario() -> None:
        registry = Connections(ConnectionLimits(max_connections=1))
        fresh = Fake(registry)
        registry.opened(fresh)  # accepted just now: its request is likely on its way
        waiting = asyncio.create_task(registry._make_room())
        await asyncio.sleep(connections.MIN_IDLE_S / 2)
        assert not fresh.evicted
        await asyncio.wait_for(waiting, 1)  # once it has waited a moment, it makes room
        assert fresh.evicted

    asyncio.run(scenario())


def test_passed_deadlines_are_expired_by_the_sweep(monkeypatch):
    monkeypatch.setattr(connections, "SWEEP_S", 0.01)

    async def scenario() -> None:
        registry = Connections()
        now = asyncio.get_running_loop().time()
        late, later = Fake(registry, now), Fake(registry, now + 3600)
        registry.opened(late)
        registry.opened(later)
        for _ in range(100):
            if late.expired:
                break
            await asyncio.sleep(0.01)
        assert late.expired and not later.expired
        registry.closed(later)

    asyncio.run(scenario())


@pytest.mark.parametrize(("soft", "cap"), [(1024, 512), (20000, 4096), (20, 16)])
def test_the_default_cap_leaves_half_the_descriptors(monkeypatch, soft, cap):
    monkeypatch.setattr(connections.resource, "getrlimit", lambda _: (soft, soft))
    assert default_max_connections() == cap
