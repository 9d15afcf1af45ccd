"""Installing one requirement set into a directory, as ``sam build`` installs a function's.

uv (a dependency of serverlite) does it: it resolves and links from its own cache,
so a set another project already downloaded installs in well under a second. pip,
run by the target interpreter, is the fallback when uv cannot be found. Both install
with ``--target`` for the interpreter the function runs on, so compiled wheels match it.
"""

from __future__ import annotations

import shutil
import subprocess
import sysconfig
from pathlib import Path

from .requirements import DependencyError, RequirementSet

INSTALL_TIMEOUT_S = 900.0  # a slow network and large wheels (numpy, pandas) take minutes
_TAIL_LINES = 12


def uv_binary() -> str | None:
    """uv's executable: the one the uv package installed next to this Python, else the
    one the package finds elsewhere, else one on PATH."""
    beside = Path(sysconfig.get_path("scripts")) / "uv"
    if beside.is_file():
        return str(beside)
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except Exception:  # not installed, or its own lookup failed (it can raise TypeError)
        return shutil.which("uv")


def install_command(requirements: Path, target: Path, interpreter: str) -> tuple[str, list[str]]:
    """(tool, argv) that installs ``requirements`` into ``target`` for ``interpreter``."""
    uv = uv_binary()
    if uv is not None:
        argv = [uv, "pip", "install", "--no-progress", "--quiet", "--python", interpreter]
        return "uv", [*argv, "--target", str(target), "-r", str(requirements)]
    argv = [interpreter, "-m", "pip", "install", "--quiet", "--no-input"]
    argv += ["--disable-pip-version-check", "--target", str(target), "-r", str(requirements)]
    return "pip", argv


def _tail(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(lines[-_TAIL_LINES:])


def install(rset: RequirementSet, target: Path, interpreter: str) -> str:
    """Install the set into ``target`` (created); return the tool used. Raises
    DependencyError with the installer's own words when it fails."""
    target.mkdir(parents=True)
    requirements = target.parent / f"{target.name}.requirements.txt"
    requirements.write_text(rset.text + "\n", encoding="utf-8")
    tool, argv = install_command(requirements, target, interpreter)
    try:
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DependencyError(f"{tool} could not run: {exc}") from exc
    finally:
        requirements.unlink(missing_ok=True)
    if done.returncode != 0:
        raise DependencyError(f"{tool} failed:\n{_tail(done.stderr or done.stdout)}")
    return tool
