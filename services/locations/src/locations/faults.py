"""Fault injection for demos and tests (template parameter FaultInjection).

``none`` (the default) does nothing; ``error`` makes every request fail as a crashed
function does; ``delay:MS`` makes every request that slow. It shows how callers
(profiles) behave when locations is down or slow.
"""

from __future__ import annotations

import re
import time

_DELAY = re.compile(r"^delay:([0-9]{1,6})$")


class InjectedFault(RuntimeError):
    """Raised on purpose: the FaultInjection parameter says locations is down."""


def inject(mode: str) -> None:
    if mode in ("", "none"):
        return
    if mode == "error":
        raise InjectedFault("locations is down (FaultInjection=error)")
    match = _DELAY.match(mode)
    if match is None:
        raise ValueError(f"unknown FaultInjection {mode!r}: none, error or delay:MS")
    time.sleep(int(match.group(1)) / 1000)
