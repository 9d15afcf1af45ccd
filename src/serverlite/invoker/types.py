"""Requests to and results from the invoker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from serverlite.functions.environment_process import RunOutcome

InvocationType = Literal["RequestResponse", "Event", "DryRun"]
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


# Not frozen: a frozen dataclass's __init__ costs about 3x, and one of each is made per
# invocation. Treat both as immutable all the same.
@dataclass(slots=True)
class InvokeRequest:
    function: str  # name, ARN, partial ARN or qualified id (App/Fn)
    payload: bytes = b""
    invocation_type: str = "RequestResponse"
    log_type: str = "None"  # "Tail" returns the last 4 KB of the log
    qualifier: str | None = None
    client_context: str | None = None  # base64-encoded JSON, as the Invoke API takes it
    trace_id: str | None = None
    identity: dict[str, Any] | None = None
    request_id: str | None = None  # chosen by the caller (async retries keep theirs)
    # The payload's value when serverlite built it (the gateway's events): valid JSON
    # by construction, so not re-validated.
    event: dict[str, Any] | None = None
    # Response streaming: the handler's prelude and chunks as they come (function URLs).
    on_stream: Callable[[str, bytes], None] | None = None
    # An asynchronous attempt (the async queue): when Lambda accepted the event, which try.
    enqueued_at: float | None = None
    attempt: int = 0


@dataclass(slots=True)
class InvokeResult:
    status_code: int  # 200 RequestResponse, 202 Event, 204 DryRun
    request_id: str
    payload: bytes = b""
    function_error: str | None = None  # "Unhandled" when the function failed
    log_result: str | None = None  # base64 of the log tail, when asked for
    executed_version: str | None = "$LATEST"
    outcome: RunOutcome | None = None
