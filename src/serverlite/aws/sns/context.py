"""What every operation works with: the stores, the clock, where the account lives,
compiled filter policies, and a way to wake the delivery worker."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import errors, names
from .filter_policy import FilterPolicy, compile_policy
from .outbox import Outbox
from .records import Topic
from .store import TopicStore


@functools.lru_cache(maxsize=1024)
def compiled_policy(text: str, scope: str) -> FilterPolicy:
    """A stored (already checked) policy, compiled once."""
    return compile_policy(text, scope)


def _nothing() -> None:
    return None


@dataclass
class SnsContext:
    topics: TopicStore
    outbox: Outbox
    region: str
    account: str
    clock: Callable[[], float]
    wake: Callable[[], None] = field(default=_nothing)  # the delivery worker, when it runs

    def require_topic(self, arn: Any, parameter: str = "TopicArn") -> Topic:
        if not isinstance(arn, str) or not arn:
            raise errors.invalid(parameter)
        names.parse_topic_arn(arn, parameter)
        topic = self.topics.topic(arn)
        if topic is None:
            raise errors.topic_not_found()
        return topic


def text(params: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = params.get(name)
    if value is None or value == "":
        if required:
            raise errors.invalid(name)
        return ""
    return str(value)
