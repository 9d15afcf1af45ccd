"""The Python a ``python3.x`` runtime runs on here: that version when the machine has it.

Looked for on PATH, under pyenv (``$PYENV_ROOT/versions``) and among uv-managed
interpreters (``uv python install``), in that order; else the host's Python runs the
function and startup says so. serverlite's runtime shim needs Python 3.11 or newer,
so python3.9 and python3.10 functions run on the host's.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

OLDEST_SHIM_PYTHON = (3, 11)  # the runtime shim's own syntax and stdlib needs
_RUNTIME = re.compile(r"^python(?P<major>3)\.(?P<minor>\d+)$")


@dataclass(frozen=True)
class Interpreter:
    path: str  # the executable
    version: str  # "3.12"

    @property
    def runtime(self) -> str:
        return f"python{self.version}"


def host() -> Interpreter:
    return Interpreter(sys.executable, f"{sys.version_info.major}.{sys.version_info.minor}")


def _version_key(path: Path) -> tuple[int, ...]:
    digits = re.findall(r"\d+", path.name)
    return tuple(int(d) for d in digits)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _on_path(name: str) -> Path | None:
    found = shutil.which(name)
    # A pyenv shim runs whichever version pyenv selects for the directory, not this one.
    if found and "/shims/" not in found:
        return Path(found)
    return None


def _pyenv(version: str) -> Path | None:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    candidates = sorted(root.glob(f"{version}.*"), key=_version_key, reverse=True)
    for candidate in candidates:
        exe = candidate / "bin" / f"python{version}"
        if re.fullmatch(rf"{re.escape(version)}\.\d+", candidate.name) and _executable(exe):
            return exe
    return None


def _uv_managed(version: str) -> Path | None:
    base = os.environ.get("UV_PYTHON_INSTALL_DIR")
    if base is None:
        data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        base = str(Path(data) / "uv" / "python")
    candidates = sorted(Path(base).glob(f"cpython-{version}.*"), key=_version_key, reverse=True)
    for candidate in candidates:
        exe = candidate / "bin" / f"python{version}"
        if _executable(exe):
            return exe
    return None


@functools.cache
def find(runtime: str) -> Interpreter | None:
    """The interpreter for ``python3.x`` on this machine, or None (the host's runs it)."""
    match = _RUNTIME.match(runtime)
    if match is None:
        return None
    version = f"{match['major']}.{match['minor']}"
    if (3, int(match["minor"])) < OLDEST_SHIM_PYTHON:
        return None
    me = host()
    if me.version == version:
        return me
    for look in (_on_path, _pyenv, _uv_managed):
        exe = look(f"python{version}") if look is _on_path else look(version)
        if exe is not None:
            return Interpreter(str(exe), version)
    return None


def for_runtime(runtime: str) -> tuple[Interpreter, bool]:
    """(interpreter, exact): the runtime's Python, or the host's when it is missing."""
    found = find(runtime)
    return (found, True) if found is not None else (host(), False)
