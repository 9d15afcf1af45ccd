"""What every function's world holds besides its own code and dependencies.

- The runtime base: the AWS SDK that Lambda's Python runtime ships (boto3, botocore
  and what they need: jmespath, s3transfer, python-dateutil, six, urllib3). serverlite
  gives the versions it pins itself (pyproject.toml), not the (older, per-region)
  versions of Lambda's runtime: a directory of links to exactly those distributions
  in serverlite's own environment, so nothing else of that environment is importable,
  and it needs no network. Pure Python, so every interpreter can use it.
- The runtime shim: the few serverlite modules that run inside an environment (the
  zygote, the runtime interface, the channel protocol), copied alone into a directory:
  the zygote imports them from there, and the environment drops it from sys.path.
- debugpy, linked alone, for a function run under ``--debug``.

Each is built once per content (a hash names its directory), atomically, under a lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import file_lock

if TYPE_CHECKING:
    import importlib.metadata

RUNTIME_DISTRIBUTIONS = (
    "boto3",
    "botocore",
    "jmespath",
    "s3transfer",
    "python-dateutil",
    "six",
    "urllib3",
)
# The serverlite modules an environment runs (paths under src/serverlite).
SHIM_MODULES = (
    "__init__.py",
    "functions/__init__.py",
    "functions/boot.py",
    "functions/zygote_process.py",
    "functions/runtime.py",
    "functions/frames.py",
    "functions/context.py",
    "functions/debugging.py",
)
_PACKAGE = Path(__file__).resolve().parent.parent  # src/serverlite
# In the cache root, one per search path: what runtime_base links to.
ENTRIES_MEMO = "base-entries"


def _materialize(root: Path, kind: str, key: str, build: Callable[[Path], None]) -> Path:
    final = root / kind / key
    if final.is_dir():
        return final
    with file_lock(root / "locks" / f"{kind}-{key}.lock"):
        if final.is_dir():
            return final
        tmp = root / "tmp" / f"{kind}-{key}-{os.getpid()}-{secrets.token_hex(4)}"
        tmp.mkdir(parents=True)
        try:
            build(tmp)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final


def _top_level(dist: importlib.metadata.Distribution) -> list[Path]:
    """The distribution's entries directly in its site-packages (packages, modules,
    its .dist-info), as absolute paths."""
    tops = {file.parts[0] for file in dist.files or () if file.parts}
    tops -= {"..", "__pycache__", "bin"}
    return sorted(Path(str(dist.locate_file(top))).resolve() for top in tops)


def runtime_base(root: Path) -> Path:
    """The directory of links to the runtime's SDK distributions."""
    entries = _runtime_entries(root)
    key = hashlib.sha256("\n".join(map(str, entries)).encode()).hexdigest()[:32]

    def build(tmp: Path) -> None:
        for entry in entries:
            if entry.exists():
                (tmp / entry.name).symlink_to(entry)

    return _materialize(root, "base", key, build)


def _runtime_entries(root: Path) -> list[Path]:
    """The runtime distributions' top-level entries. Finding them (importlib.metadata,
    and botocore's RECORD of some 2,000 files) held a start's GIL ~20 ms: they are kept
    in the cache with what they came from (sys.path, each .dist-info's RECORD), and found
    again only when that changed (an upgrade renames the .dist-info). One memo per
    search path: serverlite installed in two environments (a checkout's and pipx's, a
    CI job beside a developer's) would otherwise find them again at every other start."""
    memo = entries_memo(root)
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        saved = json.loads(memo.read_text())
        if saved["path"] == _search_path() and saved["records"] == _records(saved["entries"]):
            return [Path(entry) for entry in saved["entries"]]
    import importlib.metadata  # here, on the worlds' thread: ~15 ms off the start's own

    dists = [importlib.metadata.distribution(name) for name in RUNTIME_DISTRIBUTIONS]
    entries = [entry for dist in dists for entry in _top_level(dist)]
    names = [str(entry) for entry in entries]
    with contextlib.suppress(OSError):  # unwritten: found again next time
        memo.parent.mkdir(parents=True, exist_ok=True)
        partial = memo.with_name(f"{memo.name}.{os.getpid()}.tmp")
        partial.write_text(
            json.dumps({"path": _search_path(), "entries": names, "records": _records(names)})
        )
        os.replace(partial, memo)
    return entries


def entries_memo(root: Path) -> Path:
    """The memo of the runtime base's entries for this interpreter's search path."""
    key = hashlib.sha256("\0".join(_search_path()).encode()).hexdigest()[:16]
    return root / ENTRIES_MEMO / f"{key}.json"


def _search_path() -> list[str]:
    """Where distributions are looked up, but for the script's directory (the working
    directory under ``python -m``), which changes with where serverlite is started."""
    return sys.path[1:]


def _records(entries: list[str]) -> list[list[int]]:
    """(mtime in ns, size) of each .dist-info's RECORD among ``entries``."""
    stamps = []
    for entry in entries:
        if entry.endswith(".dist-info"):
            stat = os.stat(os.path.join(entry, "RECORD"))
            stamps.append([stat.st_mtime_ns, stat.st_size])
    return stamps


def shim(root: Path) -> Path:
    """The directory holding only serverlite's runtime shim (a ``serverlite`` package),
    byte-compiled for this interpreter's Python version as it is built: a zygote that
    may not write bytecode (PYTHONDONTWRITEBYTECODE, as container images often set; a
    read-only cache) would otherwise compile its modules from source at every start,
    and every first environment the runtime's (~40M instructions, a quarter of what the
    first request of a function waits for its runtime's import)."""
    digest = hashlib.sha256(sys.implementation.cache_tag.encode() + b"\0compiled\0")
    for name in SHIM_MODULES:
        digest.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes())
    key = digest.hexdigest()[:32]

    def build(tmp: Path) -> None:
        import py_compile  # only when the shim changes

        for name in SHIM_MODULES:
            target = tmp / "serverlite" / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_PACKAGE / name, target)
            # Stamped with the copy's mtime and size, as an import checks them; named
            # as where the shim ends up (an import names the file it loads anyway).
            py_compile.compile(
                str(target),
                dfile=str(root / "shim" / key / "serverlite" / name),
                doraise=True,
                invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP,
            )

    return _materialize(root, "shim", key, build)


def debugpy_dir(root: Path) -> Path | None:
    """A directory holding only debugpy (None: not installed)."""
    import importlib.metadata

    with contextlib.suppress(importlib.metadata.PackageNotFoundError):
        dist = importlib.metadata.distribution("debugpy")
        entries = _top_level(dist)
        key = hashlib.sha256("\n".join(map(str, entries)).encode()).hexdigest()[:32]

        def build(tmp: Path) -> None:
            for entry in entries:
                (tmp / entry.name).symlink_to(entry)

        return _materialize(root, "debugpy", key, build)
    return None
