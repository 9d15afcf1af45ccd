"""serverlite's handle on one running execution environment (one OS process).

It sends invocations over the environment's channel, collects its stdout/stderr as
log events, frames them with START / END / REPORT, and turns timeouts, memory
overruns and crashes into the payloads Lambda returns for them.

The log pipe is read when an invocation ends (before its END line, so everything the
handler printed belongs to it) and by the pool's periodic ``drain_logs`` (so a chatty
handler never fills the pipe), not on every write: a wake-up of serverlite's process
per log line would cost more than the line. The pipe holds up to ``LOG_PIPE_BYTES``.

Likewise the timeout: an invocation records its deadline, and its timer is armed by
``arm_timeout`` only once that deadline is within ``TIMER_HORIZON_S`` (the pool looks
at busy environments more often than that), not armed and cancelled per invocation.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from serverlite import fastjson, ids
from serverlite.functions import protocol, report
from serverlite.functions.zygote import Spawned
from serverlite.template.model import FunctionSpec

LogEvent = tuple[int, str]  # (epoch milliseconds, message)
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
LOG_PIPE_BYTES = 1 << 20  # Linux's default limit for an unprivileged process
INIT_TIMEOUT_S = 10.0  # Lambda's init phase limit for on-demand functions
OUT_OF_MEMORY = "Runtime.OutOfMemory"  # an environment killed over its memory size
# An invocation gets its timeout timer only once its deadline is this close (the pool
# sweeps busy environments more often than that): most end long before, and a timer
# armed and cancelled per invocation cost more than the rest of the bookkeeping.
TIMER_HORIZON_S = 0.25
# Frames an environment sends before an invocation's result: a breakpoint() pause, and
# a streaming response's prelude and chunks.
_INTERIM = frozenset({"paused", "prelude", "chunk"})


@dataclass(slots=True)
class Invocation:
    """One request to an environment."""

    request_id: str
    payload: bytes
    timeout_s: float  # counted from when the environment receives the invocation
    trace_id: str | None = None
    client_context: dict[str, Any] | None = None
    identity: dict[str, Any] | None = None
    invoked_function_arn: str | None = None
    # Response streaming: called with ("prelude" | "chunk", bytes) as the handler's
    # generator yields, before the invocation ends (a function URL's RESPONSE_STREAM).
    on_stream: Callable[[str, bytes], None] | None = None


@dataclass(slots=True)
class RunOutcome:
    """What an invocation produced, success or failure, with its log events."""

    request_id: str
    ok: bool
    payload: bytes
    usage: report.Usage
    log_stream: str
    logs: list[LogEvent] = field(default_factory=list)
    platform_error: str | None = None  # Sandbox.Timedout, Runtime.OutOfMemory, ...


def _now_ms() -> int:
    return int(time.time() * 1000)


class Environment:
    def __init__(
        self,
        fn: FunctionSpec,
        spawned: Spawned,
        log_stream: str,
        generation: int,
        clock: Callable[[], float] = time.time,
        debugged: bool = False,
    ) -> None:
        self.fn = fn
        # Under a debugger (--debug): no init or invocation timeout, as sam local's
        # --debug-port; a pause at a breakpoint() on a terminal turns it off from then.
        self.untimed = debugged
        self.pid = spawned.pid
        self.log_stream = log_stream
        self.generation = generation
        self.last_used = time.monotonic()
        self.busy = False
        self.dead = False
        self.invocations = 0
        self.init_ms: float = 0.0
        self.init_error: bytes | None = None
        # The init phase outran its limit: Lambda retries it inside the first invocation
        # (the pool does), bounded by the function's own timeout.
        self.init_timed_out = False
        self._init_exited = False  # the runtime exited during init (answered per invocation)
        self._init_charged_s = 0.0  # init time the first invocation's timeout covers
        self._spawned = spawned
        self._clock = clock
        self._channel: protocol.Channel | None = None
        self._partial = b""
        self._log_open = True
        self._statm: int | None = None
        self._events: list[LogEvent] = []  # events since the last invocation ended
        self._kill_reason: str | None = None
        self._exit_code: int | None = None
        self.peak_kb = 0
        self.deadline: float | None = None  # loop time the running invocation must end by
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # set by start()

    # -- lifecycle ---------------------------------------------------------------
    async def start(
        self, started: float, timeout_s: float = INIT_TIMEOUT_S, retried: bool = False
    ) -> None:
        """Wait for the init phase (the handler's import) to finish.

        ``retried``: this is the retry of an init that timed out, inside an invocation
        whose timeout (``timeout_s``) covers it.
        """
        os.set_blocking(self._spawned.log_fd, False)
        with contextlib.suppress(OSError, AttributeError):  # Linux only; a smaller pipe works
            fcntl.fcntl(self._spawned.log_fd, fcntl.F_SETPIPE_SZ, LOG_PIPE_BYTES)
        self._loop = asyncio.get_running_loop()  # the one every invocation runs in
        self._channel = await protocol.open_channel(self._spawned.channel, fastjson.loads_own)
        try:
            header, body = await asyncio.wait_for(
                self._channel.recv(), None if self.untimed else timeout_s
            )
            while header.get("type") == "paused":  # breakpoint() at import: a person's pace
                self.untimed = True
                header, body = await self._channel.recv()
        except TimeoutError:
            self.kill("init")
            self.init_timed_out = True
            return
        except EOFError:
            header, body = {"type": "eof"}, b""
        if header.get("type") in ("exit", "eof"):
            # sys.exit() at import, or an exec wrapper that failed or never started the
            # runtime: AWS answers the invocation with Runtime.ExitError.
            self.kill("init")
            self._init_exited = True
            if header.get("type") == "exit":
                self._exit_code = int(header.get("code", 1))
            return
        if retried:
            self._init_charged_s = time.perf_counter() - started
        self.init_ms = (time.perf_counter() - started) * 1000
        self.drain_logs()  # the init phase's output comes before the first START
        self.peak_kb = self.memory_kb()
        if body:
            self.init_error = body

    def kill(self, reason: str) -> None:
        """Kill the environment and everything it started (its own process group)."""
        if self._kill_reason is None:
            self._kill_reason = reason
        self.dead = True
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, signal.SIGKILL)

    def exited(self) -> bool:
        """Whether the process is gone, looked at before an idle environment is reused.

        An idle environment sends nothing, so its channel closing (EOF, hang-up) means it
        died — killed from outside, say. The event loop reads every channel, and within
        one turn it runs the reads before the tasks they wake: a death it has seen marks
        the channel closed before a request that arrived with it, or after it, is sent
        anywhere. No poll of our own: one per invocation was a syscall that also handed
        the GIL to any thread waiting for it, in the middle of a request.
        """
        return self.dead or self._channel is None or self._channel.closed

    def close(self) -> None:
        """Drop the environment: kill it and release its descriptors."""
        self.kill("closed")
        if self._statm is not None:
            with contextlib.suppress(OSError):
                os.close(self._statm)
            self._statm = None
        self._close_log()
        if self._channel is not None:
            self._channel.close()
        else:
            self._spawned.channel.close()

    # -- logs --------------------------------------------------------------------
    def _close_log(self) -> None:
        if self._log_open:
            self._log_open = False
            with contextlib.suppress(OSError):
                os.close(self._spawned.log_fd)

    def drain_logs(self) -> None:
        """Move what the environment wrote so far into its pending log events."""
        while self._log_open:
            try:
                data = os.read(self._spawned.log_fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:  # the environment is gone; its last partial line is complete
                self._close_log()
                self._flush_partial()
                return
            self._partial += data
            *lines, self._partial = self._partial.split(b"\n")
            stamp = _now_ms()
            for line in lines:
                self._events.append((stamp, line.decode("utf-8", "replace").replace("\r", "\n")))

    def _flush_partial(self) -> None:
        if self._partial:
            self._events.append((_now_ms(), self._partial.decode("utf-8", "replace")))
            self._partial = b""

    def take_events(self) -> list[LogEvent]:
        events, self._events = self._events, []
        return events

    # -- invoking ----------------------------------------------------------------
    async def run(self, inv: Invocation, cold: bool) -> RunOutcome:
        loop = self._loop  # not get_running_loop(): a getpid() system call on Python 3.11
        assert self._channel is not None and loop is not None
        self.busy = True
        self.invocations += 1
        pre_events = self.take_events()  # init-phase output comes before START
        start_ms = _now_ms()
        started = time.perf_counter()
        budget = inv.timeout_s - self._init_charged_s  # a retried init used part of it
        self._init_charged_s = 0.0
        deadline = loop.time() + budget
        init_ms = self.init_ms if cold else None
        if self.init_timed_out:  # the retried init outran the function's timeout too
            self._kill_reason = "timeout"
            return self._died(inv, pre_events, start_ms, started, init_ms)
        if self._init_exited:
            return self._died(inv, pre_events, start_ms, started, init_ms)
        if self.init_error is not None:
            return self._finish(
                inv,
                pre_events,
                start_ms,
                started,
                init_ms,
                ok=False,
                payload=self.init_error,
                status="error",
                error_type=_error_type(self.init_error),
            )
        header, body = self._frame(inv, budget)
        self.deadline = None if self.untimed else deadline
        self.arm_timeout(loop)
        channel = self._channel
        try:
            channel.send(header, body)
            reply, body = await channel.recv()
            if reply["type"] in _INTERIM:
                reply, body = await self._interim(inv, reply, body)
        except (EOFError, ConnectionError):
            reply, body = {"type": "eof"}, b""
        finally:
            self.deadline = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if reply["type"] == "exit":
            self._exit_code = int(reply.get("code", 1))
            reply = {"type": "eof"}
        if reply.get("logs") != 0:  # the environment saw its pipe empty: nothing to read
            self.drain_logs()
        if reply["type"] == "result":
            self.peak_kb = max(self.peak_kb, int(reply.get("peak_kb", 0)))
            return self._finish(
                inv, pre_events, start_ms, started, init_ms, ok=bool(reply["ok"]), payload=body
            )
        return self._died(inv, pre_events, start_ms, started, init_ms)

    def _frame(self, inv: Invocation, budget: float) -> tuple[dict[str, Any], bytes]:
        """The invocation's frame: its header, and the payload as JSON, as Lambda's
        runtime API hands it over (also for the events serverlite builds: their JSON is
        made anyway, and marshalling the event besides cost the serving process more
        than ``json.loads`` costs the environment, which runs beside it)."""
        now = self._clock()
        header: dict[str, Any] = {
            "type": "invoke",
            "request_id": inv.request_id,
            "deadline_ms": int((now + budget) * 1000),
            "trace_id": inv.trace_id or ids.trace_id(now),
        }
        # Only what is set travels (the runtime reads absent as None).
        if inv.client_context is not None:
            header["client_context"] = inv.client_context
        if inv.identity is not None:
            header["identity"] = inv.identity
        if inv.invoked_function_arn is not None:
            header["invoked_function_arn"] = inv.invoked_function_arn
        if inv.on_stream is not None:
            header["stream"] = True
        return header, inv.payload

    async def _interim(
        self, inv: Invocation, reply: dict[str, Any], body: bytes
    ) -> tuple[dict[str, Any], bytes]:
        """Frames before the result: a pause, a streamed response's prelude and chunks."""
        assert self._channel is not None
        while reply["type"] in _INTERIM:
            if reply["type"] == "paused":
                self._pause()
            elif inv.on_stream is not None:
                inv.on_stream(reply["type"], body)
            reply, body = await self._channel.recv()
        return reply, body

    def _pause(self) -> None:
        """The handler stopped at a breakpoint() on a terminal: its timeout stops counting."""
        self.untimed = True
        self.deadline = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def arm_timeout(self, loop: asyncio.AbstractEventLoop) -> None:
        """Give the running invocation its timeout timer once its deadline is near."""
        deadline = self.deadline
        if (
            deadline is not None
            and self._timer is None
            and deadline - loop.time() <= TIMER_HORIZON_S
        ):
            self._timer = loop.call_at(deadline, self.kill, "timeout")

    def _died(
        self,
        inv: Invocation,
        pre_events: list[LogEvent],
        start_ms: int,
        started: float,
        init_ms: float | None,
    ) -> RunOutcome:
        self.dead = True
        self._flush_partial()
        reason = self._kill_reason
        rid = inv.request_id
        if reason == "timeout":
            self._events.append((_now_ms(), report.timeout_log_line(rid, inv.timeout_s)))
            return self._finish(
                inv,
                pre_events,
                start_ms,
                started,
                init_ms,
                ok=False,
                payload=report.timeout_payload(rid, inv.timeout_s),
                status="timeout",
                platform_error="Sandbox.Timedout",
            )
        if reason == "memory":
            why = "Runtime exited with error: signal: killed"
            error_type = OUT_OF_MEMORY
        elif self._exit_code:
            why = f"Runtime exited with error: exit status {self._exit_code}"
            error_type = "Runtime.ExitError"
        else:
            # No exit code, or 0: AWS says sys.exit(0) in a handler (and at import) is
            # "Runtime exited without providing a reason" (LocalStack's AWS-validated
            # snapshots test_lambda_handler_exit and test_lambda_runtime_exit).
            why = "Runtime exited without providing a reason"
            error_type = "Runtime.ExitError"
        self._events.append((_now_ms(), f"RequestId: {rid} Error: {why}\n{error_type}"))
        return self._finish(
            inv,
            pre_events,
            start_ms,
            started,
            init_ms,
            ok=False,
            payload=report.exit_payload(rid, error_type, why),
            status="error",
            error_type=error_type,
            platform_error=error_type,
        )

    def _finish(
        self,
        inv: Invocation,
        pre_events: list[LogEvent],
        start_ms: int,
        started: float,
        init_ms: float | None,
        *,
        ok: bool,
        payload: bytes,
        status: str | None = None,
        error_type: str | None = None,
        platform_error: str | None = None,
    ) -> RunOutcome:
        duration_ms = (time.perf_counter() - started) * 1000
        self.busy = False
        self.last_used = time.monotonic()
        usage = report.Usage(
            duration_ms=duration_ms,
            memory_mb=self.fn.memory_mb,
            max_memory_used_mb=report.max_memory_used_mb(
                self.peak_kb, self.fn.memory_mb, out_of_memory=error_type == OUT_OF_MEMORY
            ),
            init_ms=init_ms,
            status=status,
            error_type=error_type,
        )
        rid = inv.request_id
        end_ms = _now_ms()
        before, after = report.platform_lines(
            rid,
            self.fn.version,
            usage,
            start_ms=start_ms,
            end_ms=end_ms,
            log_format=self.fn.log_format,
            system_log_level=self.fn.system_log_level,
        )
        events = [*pre_events, *before, *self.take_events(), *after]
        return RunOutcome(
            request_id=rid,
            ok=ok,
            payload=payload,
            usage=usage,
            log_stream=self.log_stream,
            logs=events,
            platform_error=platform_error,
        )

    def memory_kb(self) -> int:
        """Current resident memory of the environment (0 if unknown).

        Read from /proc/<pid>/statm through a descriptor kept open: the watchdog asks
        every few milliseconds, and one pread is cheaper than open, parse, close.
        """
        if self._statm is None:
            try:
                self._statm = os.open(f"/proc/{self.pid}/statm", os.O_RDONLY)
            except OSError:
                return 0
        try:
            resident_pages = int(os.pread(self._statm, 128, 0).split()[1])
        except (OSError, ValueError, IndexError):
            return 0
        return resident_pages * _PAGE_KB

    def private_kb(self) -> int:
        """Memory only this environment holds (its own and copied-on-write pages): what
        killing it gives back. 0 if unknown."""
        try:
            with open(f"/proc/{self.pid}/smaps_rollup") as rollup:
                return parse_private_kb(rollup.read())
        except OSError:
            return 0


def parse_private_kb(smaps_rollup: str) -> int:
    """Private_Clean + Private_Dirty of /proc/<pid>/smaps_rollup, in KiB."""
    total = 0
    for line in smaps_rollup.splitlines():
        if line.startswith(("Private_Clean:", "Private_Dirty:")):
            fields = line.split()
            if len(fields) > 1 and fields[1].isdigit():
                total += int(fields[1])
    return total


def _error_type(payload: bytes) -> str | None:
    try:
        value = json.loads(payload).get("errorType")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None
