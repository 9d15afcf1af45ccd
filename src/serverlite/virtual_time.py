"""A wall clock a test can move forward: ``advance(minutes=5)``.

Everything in the local cloud that reads the time reads one clock (``CloudOptions.clock``:
services through ``ServiceContext.clock``, the invoker, Lambda's async queue), so moving
it makes SQS delays and visibility timeouts, DynamoDB TTL, EventBridge schedules and
async retries see the time as passed. Never backwards: AWS's clocks do not go back, and
stored timestamps (message ages, TTL) would come out negative.
"""

from __future__ import annotations

import time


class VirtualClock:
    """Epoch seconds: the real time plus what ``advance`` added."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(
        self, seconds: float = 0.0, *, minutes: float = 0.0, hours: float = 0.0, days: float = 0.0
    ) -> float:
        """Move the clock forward; returns the total offset in seconds."""
        step = seconds + 60.0 * minutes + 3600.0 * hours + 86400.0 * days
        if step < 0:
            raise ValueError("the clock only moves forward")
        self.offset += step
        return self.offset
