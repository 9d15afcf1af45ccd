"""Injected faults: a function fails, times out or is throttled for its next N invocations.

A test's way to see what its code does when Lambda misbehaves, without changing the
function. An injected fault takes the place of running the function (nothing runs),
and looks as Lambda's own would: an unhandled error or a timeout is a function error
(``X-Amz-Function-Error: Unhandled``, async retries, destinations, DLQs), a throttle is
``TooManyRequestsException`` (429; an async invocation is retried as throttled).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from serverlite.errors import TooManyRequests
from serverlite.functions import report
from serverlite.invoker.concurrency import RATE_EXCEEDED
from serverlite.invoker.types import InvokeResult

FaultKind = Literal["error", "timeout", "throttle"]
FAULT_KINDS = ("error", "timeout", "throttle")


@dataclass
class Fault:
    kind: FaultKind
    remaining: int
    message: str


class Faults:
    """Faults waiting for a function's next invocations (function name -> queue)."""

    def __init__(self) -> None:
        self._waiting: dict[str, list[Fault]] = {}

    def inject(
        self, function: str, kind: FaultKind, times: int = 1, message: str | None = None
    ) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {kind!r}: one of {', '.join(FAULT_KINDS)}")
        if times < 1:
            raise ValueError(f"times must be at least 1, not {times}")
        fault = Fault(kind, times, message or "injected fault")
        self._waiting.setdefault(function, []).append(fault)

    def take(self, function: str) -> Fault | None:
        """The fault the next invocation of ``function`` meets, if any (counted down)."""
        waiting = self._waiting.get(function)
        if not waiting:
            return None
        fault = waiting[0]
        fault.remaining -= 1
        if fault.remaining == 0:
            waiting.pop(0)
        return fault

    def clear(self) -> None:
        self._waiting.clear()


def injected_result(fault: Fault, request_id: str, timeout_s: float) -> InvokeResult:
    """What Lambda answers for the fault (a throttle raises, as the invoker's own does)."""
    if fault.kind == "throttle":
        raise TooManyRequests(RATE_EXCEEDED, Reason="ConcurrentInvocationLimitExceeded")
    if fault.kind == "timeout":
        payload = report.timeout_payload(request_id, timeout_s)
    else:  # the shape the Python runtime gives an exception the handler did not catch
        payload = json.dumps(
            {
                "errorMessage": fault.message,
                "errorType": "InjectedFault",
                "requestId": request_id,
                "stackTrace": [],
            }
        ).encode()
    return InvokeResult(
        status_code=200, request_id=request_id, payload=payload, function_error="Unhandled"
    )
