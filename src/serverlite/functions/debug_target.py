"""--debug's arguments: which function's environments run debugpy, and where it listens
(serverlite's half; debugging.py is what runs inside an environment)."""

from __future__ import annotations

import os
import re
from typing import Any, NamedTuple

from serverlite.errors import ConfigError

DEFAULT_PORT = 5678  # debugpy's and VS Code's usual port
LOOPBACK = "127.0.0.1"  # the debugger runs code it is sent: never beyond this machine


class DebugTarget(NamedTuple):
    """The function whose environments run debugpy, and where it listens."""

    function: str
    port: int = DEFAULT_PORT

    def spec(self) -> dict[str, Any]:
        return {"host": LOOPBACK, "port": self.port}


def parse_target(text: str) -> DebugTarget:
    """``FUNCTION`` or ``FUNCTION=PORT`` (0: a port the OS picks, printed when listening)."""
    match = re.fullmatch(r"([^=\s]+)(?:=(\d{1,5}))?", text.strip())
    if not match or (match.group(2) is not None and int(match.group(2)) > 65535):
        raise ConfigError(f"--debug {text!r}: expected FUNCTION or FUNCTION=PORT (0-65535)")
    port = DEFAULT_PORT if match.group(2) is None else int(match.group(2))
    return DebugTarget(match.group(1), port)


def parse_port(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_PORT
    if not text.isdigit() or int(text) > 65535:
        raise ConfigError(f"--debug {text!r}: expected a port (0-65535)")
    return int(text)


def terminal_path() -> str | None:
    """The terminal ``serverlite invoke`` runs on (its stdin), for pdb; None if none."""
    try:
        return os.ttyname(0) if os.isatty(0) and os.isatty(2) else None
    except OSError:
        return None
