"""up pauses the garbage collector for its start; the collector is back once the ports
serve, without walking what the start made, and settling collects the start's garbage."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from serverlite import server


class Node:
    me: Node


@pytest.fixture
def collector() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()
    if was:
        gc.enable()
    else:
        gc.disable()


def test_a_paused_start_resumes_frozen_and_settling_collects_its_garbage(collector: None):
    gc.disable()  # as up does before its imports
    node = Node()
    node.me = node  # a cycle the start made and dropped
    gone = weakref.ref(node)
    del node
    server.resume_collector()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    gc.collect()
    assert gone() is not None  # frozen: no collection walks the start's objects
    server.settle_heap()
    assert gone() is None


def test_a_collector_that_was_never_paused_is_left_as_it_is(collector: None):
    gc.enable()
    gc.unfreeze()
    server.resume_collector()
    assert gc.get_freeze_count() == 0
