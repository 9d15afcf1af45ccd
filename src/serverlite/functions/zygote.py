"""serverlite's handle on the zygotes: the fork servers execution environments are born from.

There is one zygote per (interpreter, dependency sets), started on first use; the
process itself, and its protocol, is zygote_process.py. A zygote starts light (a
template whose functions never run costs no SDK preload) and forks its first
environment at once: that environment imports what its handler needs itself, inside
its Init Duration, as a Lambda environment does, and nobody's first request waits for
an SDK preload it may not need (a third of a second on a quiet machine, seconds on a
loaded one). The pool then has the zygote preload the SDK (``preload``) so that later
environments are each a fork of it; a spawn that comes before that preload has run
preloads first.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import Any

from serverlite.errors import ServerliteError
from serverlite.functions import boot
from serverlite.functions.zygote_process import MAX_MESSAGE


class ZygoteError(ServerliteError):
    """The zygote could not be started or could not fork an environment."""


@dataclass
class Spawned:
    """What serverlite holds of a newly forked environment."""

    pid: int
    channel: socket.socket  # serverlite's end of the invocation channel
    log_fd: int  # read end of the environment's stdout/stderr pipe
    light: bool = False  # forked before its zygote preloaded the SDK


class Zygote:
    """serverlite's handle on one zygote process (thread-safe, blocking)."""

    def __init__(
        self, interpreter: str, world: tuple[str, ...] = (), shim: str | None = None
    ) -> None:
        self.interpreter = interpreter
        self.world = world
        self.shim = shim or boot.source_root()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._preloaded = False
        self._forked = False  # whether it forked since it (re)started
        self._closing = False  # close() was called: a preload is of no use any more
        self.missing: list[str] = []
        self.last_fork = time.monotonic()  # when it last forked an environment

    def start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = boot.isolated_env(dict(os.environ))
        argv = boot.command(
            self.interpreter, self.shim, "zygote_process", str(theirs.fileno()), *self.world
        )
        self._proc = subprocess.Popen(
            argv,
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
            env=env,
        )
        theirs.close()
        reply = ours.recv(MAX_MESSAGE)
        if not reply:
            ours.close()
            self._proc.wait()
            raise ZygoteError(f"the zygote exited during start (code {self._proc.returncode})")
        self._control = ours
        self._preloaded = False
        self._forked = False

    def _preload_locked(self) -> None:
        assert self._control is not None
        self._control.send(json.dumps({"preload": True}).encode())
        reply = self._control.recv(MAX_MESSAGE)
        if not reply:
            raise ZygoteError("the zygote exited while preloading the SDK")
        self.missing = json.loads(reply).get("missing", [])
        self._preloaded = True

    def ensure_started(self) -> None:
        """Start the zygote if it is not running (a world's first environment)."""
        with self._lock:
            if not self.running or self._control is None:
                self._start_locked()

    def preload(self) -> None:
        """Start the zygote if it is not running and have it preload the SDK if it has not
        yet: the environments it forks from then on share the SDK's pages. Nothing once
        it is being closed."""
        with self._lock:
            try:
                if not self.running or self._control is None:
                    if self._closing:  # closed, or killed by close() meanwhile
                        return
                    self._start_locked()
                if not self._preloaded and not self._closing:
                    self._preload_locked()
            except (ZygoteError, OSError):  # killed by close(), or died
                if not self._closing:
                    raise

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def ready(self) -> bool:
        """Running, with the SDK preloaded: a spawn is just a fork."""
        return self._preloaded and self.running

    def spawn(self, spec: dict[str, Any]) -> Spawned:
        """Fork a new environment running ``spec``; restart the zygote if it died. The
        first fork of a light zygote is at once (``Spawned.light``); any later one waits
        for the SDK's preload."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        log_read, log_write = os.pipe()
        try:
            with self._lock:
                if not self.running or self._control is None:
                    self._start_locked()
                if self._forked and not self._preloaded:
                    self._preload_locked()
                light = not self._preloaded
                assert self._control is not None
                socket.send_fds(
                    self._control, [json.dumps(spec).encode()], [theirs.fileno(), log_write]
                )
                reply = json.loads(self._control.recv(MAX_MESSAGE) or b"{}")
                self._forked = True
                self.last_fork = time.monotonic()
        except BaseException:
            ours.close()
            os.close(log_read)
            raise
        finally:
            theirs.close()
            os.close(log_write)
        if "pid" not in reply:
            ours.close()
            os.close(log_read)
            raise ZygoteError(f"could not fork an environment: {reply.get('error', 'no reply')}")
        return Spawned(pid=reply["pid"], channel=ours, log_fd=log_read, light=light)

    def unload(self) -> bool:
        """Give the preloaded SDK's memory back (about 50 MiB): the process is replaced by
        a light one, which forks its next environment at once and preloads again after.
        Environments already forked keep running. False if it had not preloaded."""
        with self._lock:
            if not self._preloaded or not self.running:
                return False
            self._stop_locked()
            self._start_locked()
            return True

    def close(self) -> None:
        """Stop the zygote. One busy preloading (seconds on a loaded machine, after a
        world's first environment) is killed rather than waited for: what it preloads
        serves no later fork (``serverlite invoke`` would wait for it to exit)."""
        self._closing = True
        proc = self._proc
        if proc is not None and self._lock.locked() and not self._preloaded:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._control is not None:
            self._control.close()  # the zygote reads the end of its socket and exits
            self._control = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        self._preloaded = False
        self._forked = False


class Zygotes:
    """One zygote per (interpreter, world), each started when first needed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._zygotes: dict[tuple[str, tuple[str, ...]], Zygote] = {}

    def get(self, interpreter: str, world: tuple[str, ...], shim: str) -> Zygote:
        with self._lock:
            key = (interpreter, world)
            zygote = self._zygotes.get(key)
            if zygote is None:
                zygote = self._zygotes[key] = Zygote(interpreter, world, shim)
            return zygote

    def __len__(self) -> int:
        return len(self._zygotes)

    def all(self) -> list[Zygote]:
        with self._lock:
            return list(self._zygotes.values())

    def close(self) -> None:
        for zygote in self.all():
            zygote.close()
