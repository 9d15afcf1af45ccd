"""Concurrency: per-function reserved concurrency and the account's shared pool.

As on AWS, functions with reserved concurrency draw only on their reservation
(0 throttles every invocation: the kill switch), and every other function shares
what the reservations leave of the account limit (default 1000). AWS keeps at least
100 unreserved; a template that reserves more is refused at start.
"""

from __future__ import annotations

from collections.abc import Iterable

from serverlite.errors import ConfigError, TooManyRequests
from serverlite.template.model import FunctionSpec

MIN_UNRESERVED = 100
RATE_EXCEEDED = "Rate Exceeded."


class ConcurrencyLimits:
    def __init__(self, functions: Iterable[FunctionSpec], account_limit: int = 1000) -> None:
        self.account_limit = account_limit
        self._reserved = {
            fn.name: fn.reserved_concurrency
            for fn in functions
            if fn.reserved_concurrency is not None
        }
        reserved_total = sum(v for v in self._reserved.values() if v)
        if reserved_total > account_limit - MIN_UNRESERVED:
            raise ConfigError(
                f"the template reserves {reserved_total} concurrent executions in total; "
                f"with an account limit of {account_limit} at least {MIN_UNRESERVED} must "
                "stay unreserved (lower ReservedConcurrentExecutions or raise "
                "--account-concurrency)"
            )
        self.unreserved_limit = account_limit - reserved_total
        self._running: dict[str, int] = {}
        self._unreserved_running = 0

    @property
    def unreserved_running(self) -> int:
        """Invocations running now on the account's unreserved pool."""
        return self._unreserved_running

    def running(self, function_name: str) -> int:
        return self._running.get(function_name, 0)

    def available(self, function_name: str) -> bool:
        """Whether an invocation of the function would get a slot right now."""
        reserved = self._reserved.get(function_name)
        if reserved == 0:
            return True  # the kill switch is not a wait: the caller handles it at once
        if reserved is not None:
            return self._running.get(function_name, 0) < reserved
        return self._unreserved_running < self.unreserved_limit

    def acquire(self, function_name: str) -> None:
        """Take a slot or raise TooManyRequests with AWS's Reason."""
        reserved = self._reserved.get(function_name)
        current = self._running.get(function_name, 0)
        if reserved is not None:
            if current >= reserved:
                raise TooManyRequests(
                    RATE_EXCEEDED, Reason="ReservedFunctionConcurrentInvocationLimitExceeded"
                )
        elif self._unreserved_running >= self.unreserved_limit:
            raise TooManyRequests(RATE_EXCEEDED, Reason="ConcurrentInvocationLimitExceeded")
        else:
            self._unreserved_running += 1
        self._running[function_name] = current + 1

    def release(self, function_name: str) -> None:
        self._running[function_name] -= 1
        if function_name not in self._reserved:
            self._unreserved_running -= 1
