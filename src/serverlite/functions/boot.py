"""How serverlite's runtime starts in a function's world: isolated, shim first.

``-s -S -P``: no site-packages (serverlite's, the interpreter's or the user's), not
the working directory; sys.path starts as the shim directory (only serverlite's
runtime modules, deps/runtime_base.py) and the interpreter's standard library, and
the runtime adds the function's world to it. The caller leaves PYTHONPATH and
PYTHONHOME out of the zygote's variables (``isolated_env``); other PYTHON* variables
(PYTHONDONTWRITEBYTECODE, ...) keep their meaning, so not ``-I``.
"""

from __future__ import annotations

import os

_BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from serverlite.functions.{module} import main; main()"
)


def command(interpreter: str, shim: str, module: str, *args: str) -> list[str]:
    """argv running ``serverlite.functions.<module>.main`` with ``args`` after the shim."""
    return [interpreter, "-s", "-S", "-P", "-c", _BOOT.format(module=module), shim, *args]


def isolated_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` without what would put serverlite's (or anyone's) packages on sys.path."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE")
    return {key: value for key, value in env.items() if key not in dropped}


def source_root() -> str:
    """The directory serverlite's package is in (a shim when no world gives one)."""
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
