"""Retry and Catch: which retrier or catcher takes an error, and how long to wait.

A retrier's attempts are counted apart from the others'; the first retrier whose
``ErrorEquals`` matches decides (AWS: "the first matching retrier"). The n-th retry
waits ``IntervalSeconds * BackoffRate ** n`` (defaults 1 s, 2.0), at most
``MaxDelaySeconds``; ``JitterStrategy: FULL`` draws the wait uniformly below that.
"""

from __future__ import annotations

import random
from typing import Any

from .errors import matches

DEFAULT_INTERVAL = 1.0
DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF = 2.0


def retry_delay(
    retriers: list[dict[str, Any]], counts: list[int], error: str
) -> tuple[int, float] | None:
    """(retrier index, seconds to wait) when a retrier retries ``error``; None otherwise."""
    for index, retrier in enumerate(retriers):
        if not matches(retrier.get("ErrorEquals", []), error):
            continue
        done = counts[index] if index < len(counts) else 0
        if done >= int(retrier.get("MaxAttempts", DEFAULT_ATTEMPTS)):
            return None  # this retrier is spent: the error goes on to Catch
        interval = float(retrier.get("IntervalSeconds", DEFAULT_INTERVAL))
        delay = interval * float(retrier.get("BackoffRate", DEFAULT_BACKOFF)) ** done
        if "MaxDelaySeconds" in retrier:
            delay = min(delay, float(retrier["MaxDelaySeconds"]))
        if retrier.get("JitterStrategy") == "FULL":
            delay = random.uniform(0, delay)
        return index, delay
    return None


def catcher_for(catchers: list[dict[str, Any]], error: str) -> dict[str, Any] | None:
    for catcher in catchers:
        if matches(catcher.get("ErrorEquals", []), error):
            return catcher
    return None
