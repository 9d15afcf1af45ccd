"""One state directory, one owner: the process that serves or changes it holds its lock.

``serverlite up`` (or an ``invoke`` with no ``up`` running) takes an exclusive
``flock`` on ``<state>/serverlite.lock`` before it opens any store, and says who it is
in ``<state>/owner.json`` (pid, command, and the AWS endpoint of an ``up``). The
operating system drops the lock when the process ends, kill -9 included, so a stale
file never blocks a restart. Other commands ask ``running_owner``: ``invoke`` goes
through the running ``up``'s Lambda Invoke API instead of provisioning the same state
a second time (which overwrote live values under the running ``up``: identity's issuer
parameter, so every token was refused until a restart).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from serverlite import state
from serverlite.errors import ConfigError

LOCK_FILE = "serverlite.lock"
OWNER_FILE = "owner.json"
# Another command probing the lock holds it (shared) for microseconds: retry that long.
ACQUIRE_PATIENCE_S = 1.0


@dataclass(frozen=True)
class Owner:
    pid: int
    command: str
    endpoint_url: str | None = None


class StateInUse(ConfigError):
    """Another serverlite process owns the state directory."""


class StateLock:
    """The exclusive lock on a state directory, held until ``release`` or exit."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self._fd: int | None = None

    def acquire(self, command: str, endpoint_url: str | None = None) -> None:
        state.private_dir(self.state_dir)
        fd = os.open(self.state_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + ACQUIRE_PATIENCE_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(0.01)
                    continue
                os.close(fd)
                raise StateInUse(
                    in_use_message(self.state_dir, read_owner(self.state_dir))
                ) from None
        self._fd = fd
        owner = {"pid": os.getpid(), "command": command, "endpoint_url": endpoint_url}
        new = self.state_dir / (OWNER_FILE + ".new")
        new.write_text(json.dumps(owner))
        os.replace(new, self.state_dir / OWNER_FILE)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                (self.state_dir / OWNER_FILE).unlink()
            os.close(fd)  # closing the descriptor drops the flock

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def running_owner(state_dir: Path) -> Owner | None:
    """Who holds the state directory's lock now, or None when no process does."""
    try:
        fd = os.open(state_dir / LOCK_FILE, os.O_RDONLY)
    except OSError:
        return None  # never locked: no serverlite has used this state directory
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return read_owner(state_dir) or Owner(pid=0, command="serverlite")
        return None  # nobody holds it (a crashed owner's lock went with its process)
    finally:
        os.close(fd)  # drops the shared lock, if taken


def read_owner(state_dir: Path) -> Owner | None:
    """What the lock's holder wrote; None if unreadable or left by a process now gone."""
    try:
        data = json.loads((state_dir / OWNER_FILE).read_text())
        owner = Owner(int(data["pid"]), str(data["command"]), data.get("endpoint_url"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(owner.pid, 0)
    except ProcessLookupError:
        return None  # a killed owner's file, read before its successor replaced it
    except PermissionError:
        pass
    return owner


def in_use_message(state_dir: Path, owner: Owner | None) -> str:
    who = f"`serverlite {owner.command}` (pid {owner.pid})" if owner else "another serverlite"
    return (
        f"the state directory {state_dir} is in use by {who}. One process owns a state "
        "directory: stop it first, or pass another --state-dir."
    )
