"""The cache of installed requirement sets: content-addressed, shared, locked, atomic.

One directory per distinct set (``sets/<key>``, the key hashing the normalized
requirements, the Python version and the platform), shared by every project and
state directory of the user: ``$SERVERLITE_DEPS_CACHE``, else
``$XDG_CACHE_HOME/serverlite/deps``, else ``~/.cache/serverlite/deps``. A set is
installed into a temporary directory and renamed into place once complete, under a
per-key file lock, so two serverlite processes (two test workers, ``up`` and a test
run) installing the same set at once install it once, and a kill -9 mid-install
leaves no half-set behind. Installed sets are never changed; nothing is evicted
(deleting the directory is safe when nothing runs).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import installer
from .requirements import DependencyError, RequirementSet

CACHE_ENV = "SERVERLITE_DEPS_CACHE"
MARKER = ".serverlite-set.json"  # written last, inside the set, before the rename
PARALLEL_INSTALLS = 4
Progress = Callable[[str], None]


def default_root() -> Path:
    if given := os.environ.get(CACHE_ENV):
        return Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "serverlite" / "deps"


@dataclass
class Need:
    """A set to install and who needs it (for progress and error messages)."""

    rset: RequirementSet
    interpreter: str
    users: list[str] = field(default_factory=list)  # "Function (path/requirements.txt)"


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


class DepCache:
    def __init__(
        self,
        root: Path | None = None,
        install: Callable[[RequirementSet, Path, str], str] = installer.install,
    ) -> None:
        self.root = root if root is not None else default_root()
        self._install = install

    def path(self, rset: RequirementSet) -> Path:
        return self.root / "sets" / rset.key

    def installed(self, rset: RequirementSet) -> bool:
        return (self.path(rset) / MARKER).is_file()

    def ensure(self, rset: RequirementSet, interpreter: str) -> tuple[Path, bool]:
        """The set's directory, installed if it was not: (path, installed now)."""
        final = self.path(rset)
        if self.installed(rset):
            return final, False
        with file_lock(self.root / "locks" / f"{rset.key}.lock"):
            if self.installed(rset):  # another process installed it while we waited
                return final, False
            staging = self.root / "tmp"
            self._clear_stale(staging, rset.key)
            tmp = staging / f"{rset.key}-{os.getpid()}-{secrets.token_hex(4)}"
            try:
                tool = self._install(rset, tmp, interpreter)
                meta = {
                    "requirements": rset.lines,
                    "python": rset.python,
                    "platform": rset.platform,
                    "installer": tool,
                    "installed_at": int(time.time()),
                }
                (tmp / MARKER).write_text(json.dumps(meta, indent=1) + "\n")
                if final.exists():  # an incomplete set (no marker): replace it
                    shutil.rmtree(final)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.rename(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        return final, True

    @staticmethod
    def _clear_stale(staging: Path, key: str) -> None:
        """Temporary directories of this key left by a killed install (the lock is ours)."""
        for old in staging.glob(f"{key}-*"):
            if old.is_dir():
                shutil.rmtree(old, ignore_errors=True)

    def ensure_all(self, needs: list[Need], progress: Progress) -> dict[str, Path]:
        """Every set installed (missing ones in parallel): key -> directory. Failures
        are gathered and raised together, each naming who needs the set."""
        paths = {n.rset.key: self.path(n.rset) for n in needs if self.installed(n.rset)}
        missing = [n for n in needs if n.rset.key not in paths]
        if not missing:
            return paths
        progress(f"installing {len(missing)} dependency set(s) ({self.root})")

        def one(need: Need) -> tuple[Need, Path | DependencyError, float]:
            started = time.perf_counter()
            try:
                path, _ = self.ensure(need.rset, need.interpreter)
            except DependencyError as exc:
                return need, exc, time.perf_counter() - started
            return need, path, time.perf_counter() - started

        errors: list[str] = []
        with ThreadPoolExecutor(max_workers=min(PARALLEL_INSTALLS, len(missing))) as pool:
            for need, result, took in pool.map(one, missing):
                who = "; ".join(need.users)
                if isinstance(result, DependencyError):
                    errors.append(f"{who}: cannot install {need.rset.describe()}: {result}")
                else:
                    paths[need.rset.key] = result
                    progress(f"installed {need.rset.describe()} in {took:.1f} s: {who}")
        if errors:
            raise DependencyError("\n".join(errors))
        return paths
