"""The platform lines and error payloads Lambda itself produces (not the handler)."""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any


@dataclass(slots=True)
class Usage:
    """Figures for one invocation's REPORT line (one per invocation: not frozen, as a
    frozen dataclass's __init__ costs about 3x; never changed once made)."""

    duration_ms: float
    memory_mb: int
    max_memory_used_mb: int
    init_ms: float | None = None  # only on a cold start
    status: str | None = None  # None (success or handler error) | "timeout" | "error"
    error_type: str | None = None  # for status "error": Runtime.OutOfMemory, ...

    @property
    def billed_ms(self) -> int:
        # Lambda bills in 1 ms steps; since August 2025 the init phase is billed too.
        return max(1, math.ceil(self.duration_ms + (self.init_ms or 0.0)))


def max_memory_used_mb(peak_kb: int, memory_mb: int, *, out_of_memory: bool = False) -> int:
    """REPORT's Max Memory Used. Lambda's environment lives in a cgroup capped at the
    memory size, so it never reports more: an environment killed for memory reads
    exactly its Memory Size (``Max Memory Used: 128 MB`` beside ``Memory Size: 128 MB``).
    serverlite samples RSS on a beat, so a sample may land just past the cap (kept at
    the cap) or, on a kill, just under it after rounding (raised to the cap)."""
    if out_of_memory:
        return memory_mb
    return min(memory_mb, max(1, round(peak_kb / 1024)))


def start_line(request_id: str, version: str = "$LATEST") -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(request_id: str, usage: Usage) -> str:
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {usage.duration_ms:.2f} ms\t"
        f"Billed Duration: {usage.billed_ms} ms\tMemory Size: {usage.memory_mb} MB\t"
        f"Max Memory Used: {usage.max_memory_used_mb} MB\t"
    )
    if usage.init_ms is not None:
        line += f"Init Duration: {usage.init_ms:.2f} ms\t"
    if usage.status:
        line += f"Status: {usage.status}\t"
    if usage.error_type:
        line += f"Error Type: {usage.error_type}\t"
    return line


# Lambda's platform records (START, END, REPORT) are INFO-level system logs.
_LEVEL_RANK = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}


def platform_lines(
    request_id: str,
    version: str,
    usage: Usage,
    *,
    start_ms: int,
    end_ms: int,
    log_format: str = "Text",
    system_log_level: str | None = None,
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The lines before and after the handler's logs: START, then END and REPORT.

    With LogFormat JSON, Lambda writes them as its telemetry records (platform.start,
    platform.runtimeDone, platform.report) and drops them below the system log level.
    """
    if log_format != "JSON":
        return (
            [(start_ms, start_line(request_id, version))],
            [(end_ms, end_line(request_id)), (end_ms, report_line(request_id, usage))],
        )
    if _LEVEL_RANK.get(system_log_level or "INFO", 2) > _LEVEL_RANK["INFO"]:
        return [], []
    status = "success" if usage.status is None else usage.status
    metrics: dict[str, Any] = {
        "durationMs": round(usage.duration_ms, 3),
        "billedDurationMs": usage.billed_ms,
        "memorySizeMB": usage.memory_mb,
        "maxMemoryUsedMB": usage.max_memory_used_mb,
    }
    if usage.init_ms is not None:
        metrics["initDurationMs"] = round(usage.init_ms, 3)
    report: dict[str, Any] = {"requestId": request_id, "metrics": metrics, "status": status}
    done: dict[str, Any] = {"requestId": request_id, "status": status}
    if usage.error_type:
        report["errorType"] = done["errorType"] = usage.error_type
    end_time = timestamp(end_ms / 1000)
    return (
        [(start_ms, _record(timestamp(start_ms / 1000), "platform.start",
                            {"requestId": request_id, "version": version}))],
        [
            (end_ms, _record(end_time, "platform.runtimeDone", done)),
            (end_ms, _record(end_time, "platform.report", report)),
        ],
    )  # fmt: skip


def _record(time_text: str, kind: str, record: dict[str, Any]) -> str:
    return json.dumps({"time": time_text, "type": kind, "record": record})


def timestamp(now: float | None = None) -> str:
    now = time.time() if now is None else now
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def timeout_payload(request_id: str, timeout_s: float) -> bytes:
    return json.dumps(
        {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
            f"{timeout_s:.2f} seconds",
        }
    ).encode()


def timeout_log_line(request_id: str, timeout_s: float, now: float | None = None) -> str:
    return f"{timestamp(now)} {request_id} Task timed out after {timeout_s:.2f} seconds"


def exit_payload(request_id: str, error_type: str, reason: str) -> bytes:
    """Runtime.ExitError / Runtime.OutOfMemory: the environment died mid-invocation."""
    return json.dumps(
        {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {reason}"}
    ).encode()


def fault_payload(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


def response_too_large_payload(limit: int) -> bytes:
    return json.dumps(
        {
            "errorMessage": f"Response payload size exceeded maximum allowed payload size "
            f"({limit} bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
    ).encode()
