from pathlib import Path

import pytest

from serverlite.errors import ConfigError, TooManyRequests
from serverlite.invoker.concurrency import ConcurrencyLimits
from serverlite.template.model import FunctionSpec


def fn(name: str, reserved: int | None = None) -> FunctionSpec:
    return FunctionSpec(
        logical_id=name,
        stack_path=(),
        name=name,
        arn=f"arn:{name}",
        handler="app.handler",
        runtime="python3.11",
        code_dir=Path("."),
        reserved_concurrency=reserved,
    )


def test_reserved_zero_throttles_every_invoke():
    limits = ConcurrencyLimits([fn("Off", 0)])
    with pytest.raises(TooManyRequests) as info:
        limits.acquire("Off")
    assert info.value.fields == {"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded"}
    assert info.value.message == "Rate Exceeded."
    assert info.value.status == 429


def test_reserved_limit_counts_running_invocations_and_releases():
    limits = ConcurrencyLimits([fn("Two", 2)])
    limits.acquire("Two")
    limits.acquire("Two")
    with pytest.raises(TooManyRequests):
        limits.acquire("Two")
    limits.release("Two")
    limits.acquire("Two")
    assert limits.running("Two") == 2


def test_unreserved_functions_share_what_reservations_leave():
    limits = ConcurrencyLimits([fn("Big", 100), fn("A"), fn("B")], account_limit=202)
    assert limits.unreserved_limit == 102
    for _ in range(51):
        limits.acquire("A")
    for _ in range(51):
        limits.acquire("B")
    with pytest.raises(TooManyRequests) as info:
        limits.acquire("A")
    assert info.value.fields == {"Reason": "ConcurrentInvocationLimitExceeded"}
    # The reservation is untouched by the others' load.
    limits.acquire("Big")


def test_reserving_beyond_account_minus_100_is_refused():
    with pytest.raises(ConfigError, match="at least 100 must stay unreserved"):
        ConcurrencyLimits([fn("A", 950)], account_limit=1000)


def test_available_mirrors_acquire_and_lets_the_kill_switch_through():
    limits = ConcurrencyLimits([fn("One", 1), fn("Off", 0)])
    assert limits.available("One")
    limits.acquire("One")
    assert not limits.available("One")
    assert limits.available("Off")  # callers handle reserved 0 themselves
    assert limits.available("Other")
