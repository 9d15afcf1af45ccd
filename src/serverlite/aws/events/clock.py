"""Time for EventBridge's workers: a real clock, optionally running faster.

``serverlite up --time-scale 60`` makes retry back-off and event ages pass 60 times
faster and schedules tick 60 times faster (``rate(1 minute)`` fires every second).
Stored times (when an event was enqueued, when a retry is due, archive receipt
times) are real epoch seconds; only schedule arithmetic runs on the scaled
"virtual" clock, which starts at the real time when serverlite starts. Tests pass
their own ``real`` function to drive time by hand.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Clock:
    def __init__(self, real: Callable[[], float] = time.time, scale: float = 1.0) -> None:
        if scale <= 0:
            raise ValueError("the time scale must be positive")
        self.real = real
        self.scale = scale
        self._origin = real()

    def now(self) -> float:
        """Real epoch seconds."""
        return self.real()

    def virtual(self) -> float:
        """Scaled epoch seconds (equal to ``now()`` at scale 1)."""
        real = self.real()
        return self._origin + (real - self._origin) * self.scale

    def real_delay(self, virtual_seconds: float) -> float:
        """How long to wait, in real seconds, for ``virtual_seconds`` to pass."""
        return max(0.0, virtual_seconds / self.scale)

    def age(self, since_real: float) -> float:
        """How old (in scaled seconds) something stored at ``since_real`` is."""
        return (self.real() - since_real) * self.scale
