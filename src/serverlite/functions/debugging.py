"""Debugging a function: debugpy for an IDE, pdb on a terminal, and breakpoint() elsewhere.

Lambda has no debugger. ``sam local`` starts one in the container when given
``--debug-port`` and then disables the function's timeout; serverlite does the same:

- ``--debug FUNCTION[=PORT]``: that function's environments (only that function's: the
  others do not pay for debugpy's import) start debugpy after the fork, listen on
  127.0.0.1:PORT, say so on serverlite's stderr, and wait for the IDE to attach before
  the handler is imported, so breakpoints at import time hold. Its init and invocation
  timeouts are off (a paused environment is not "Task timed out").
- ``breakpoint()`` under ``serverlite invoke`` run on a terminal opens pdb on that
  terminal; the invocation's timeout stops counting from then on (the environment tells
  serverlite it paused).
- Anywhere else (``up``, invoke with no terminal) ``breakpoint()`` would read a pipe
  nobody writes and hang: it writes one line to the function's log and returns, unless
  the function sets PYTHONBREAKPOINT itself.

This module is the in-environment half (debug_target.py is serverlite's: --debug's
arguments). It runs in every environment, whose first one imports it before its first
answer: it imports nothing heavy up front, typing and serverlite's other modules
included.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

TYPE_CHECKING = False  # not typing's: it would import typing in every environment
if TYPE_CHECKING:
    from typing import Any

IGNORED_BREAKPOINT = (
    "breakpoint() ignored: serverlite gives pdb a terminal only under `serverlite invoke` "
    "run on one; for an IDE use --debug FUNCTION (docs/debugging.md)"
)


def start_debugpy(
    settings: dict[str, Any], function: str, channel_fd: int, announce_fd: int | None
) -> None:
    """Listen for the IDE and wait for it to attach (before the handler's import).

    The adapter runs in this process (``in_process_debug_adapter``): the port is the
    environment's own, and it dies with it (a timeout or reload kills one process group).
    """
    # debugpy warns that breakpoints in the stdlib's frozen modules may be missed, once
    # per environment, into the function's log: a handler's code is never frozen.
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    import debugpy

    _exit_with_serverlite(channel_fd)
    host, port = debugpy.listen(
        (settings["host"], int(settings["port"])), in_process_debug_adapter=True
    )
    line = (
        f"debugger: function {function} (pid {os.getpid()}) waits for a debugger on "
        f"{host}:{port}: attach your IDE there (docs/debugging.md)\n"
    )
    _announce(line, announce_fd)
    debugpy.wait_for_client()


def _exit_with_serverlite(channel_fd: int) -> None:
    """An environment waiting for an IDE (or paused in one) never reads its channel, so
    would outlive a serverlite killed with -9: a thread watches for the hang-up."""
    import select
    import threading

    def watch() -> None:
        poller = select.poll()
        poller.register(channel_fd, getattr(select, "POLLRDHUP", 0) | select.POLLHUP)
        while True:
            events = poller.poll()
            if any(mask & ~select.POLLIN for _, mask in events):
                os._exit(0)

    threading.Thread(target=watch, name="serverlite-hangup", daemon=True).start()


def _announce(line: str, fd: int | None) -> None:
    """Write to serverlite's own stderr (where the user looks), else the function's log."""
    target = 2 if fd is None else fd
    with contextlib.suppress(OSError):
        os.write(target, line.encode())
    if fd is not None:
        with contextlib.suppress(OSError):
            os.close(fd)


def install_breakpoint_hook(terminal: str | None, paused: Callable[[], None]) -> None:
    """Route ``breakpoint()``: pdb on ``terminal``, else one log line and carry on.

    ``paused`` tells serverlite that the invocation waits on a person from now on.
    """
    if os.environ.get("PYTHONBREAKPOINT"):
        return  # the function chose its own hook (or 0): Python's default honours it

    streams: list[Any] = []  # the terminal, opened at the first breakpoint() and kept

    def on_terminal(*args: Any, **kwargs: Any) -> None:
        import pdb

        assert terminal is not None
        paused()
        if not streams:
            # Not the controlling terminal (the environment has its own session): opened
            # by path, O_NOCTTY, shared with serverlite, which only waits meanwhile.
            fd = os.open(terminal, os.O_RDWR | os.O_NOCTTY)
            streams.append(open(fd, encoding="utf-8", errors="replace"))  # noqa: SIM115
            streams.append(open(os.dup(fd), "w", encoding="utf-8", errors="replace"))  # noqa: SIM115
        pdb.Pdb(stdin=streams[0], stdout=streams[1]).set_trace(sys._getframe(1))

    def ignored(*args: Any, **kwargs: Any) -> None:
        sys.stdout.write(IGNORED_BREAKPOINT + "\n")

    sys.breakpointhook = on_terminal if terminal else ignored
