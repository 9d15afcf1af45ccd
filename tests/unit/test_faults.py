"""Injected faults (serverlite.invoker.faults) and the clock a test moves
(serverlite.virtual_time)."""

from __future__ import annotations

import json
import time

import pytest

from serverlite.errors import TooManyRequests
from serverlite.invoker.faults import Faults, injected_result
from serverlite.virtual_time import VirtualClock


def test_a_fault_meets_the_next_n_invocations_in_order() -> None:
    faults = Faults()
    faults.inject("Fn", "error", times=2)
    faults.inject("Fn", "timeout")
    kinds = [getattr(faults.take("Fn"), "kind", None) for _ in range(4)]
    assert kinds == ["error", "error", "timeout", None]
    assert faults.take("Other") is None


def test_clear_ends_every_fault() -> None:
    faults = Faults()
    faults.inject("Fn", "throttle", times=5)
    faults.clear()
    assert faults.take("Fn") is None


@pytest.mark.parametrize(("kind", "times"), [("explode", 1), ("error", 0)])
def test_a_bad_fault_is_refused(kind, times) -> None:
    with pytest.raises(ValueError):
        Faults().inject("Fn", kind, times)


def test_faults_look_as_lambdas_own() -> None:
    faults = Faults()
    faults.inject("Fn", "error", message="disk on fire")
    faults.inject("Fn", "timeout")
    faults.inject("Fn", "throttle")
    error = injected_result(faults.take("Fn"), "req-1", 3.0)
    assert error.function_error == "Unhandled"
    assert json.loads(error.payload)["errorMessage"] == "disk on fire"
    timeout = injected_result(faults.take("Fn"), "req-2", 3.0)
    assert json.loads(timeout.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: req-2 Error: Task timed out after 3.00 seconds",
    }
    with pytest.raises(TooManyRequests) as throttled:
        injected_result(faults.take("Fn"), "req-3", 3.0)
    assert throttled.value.fields["Reason"] == "ConcurrentInvocationLimitExceeded"


def test_the_clock_moves_forward_only() -> None:
    clock = VirtualClock()
    assert abs(clock() - time.time()) < 5
    assert clock.advance(minutes=5) == 300.0
    assert clock.advance(30, hours=1) == 300.0 + 3630.0
    assert clock() - time.time() > 3929
    with pytest.raises(ValueError):
        clock.advance(-1)
