"""Hot reload: a change under a function's code or layers replaces its environments.

The next invocation starts from the new code; an invocation in flight finishes on
the old one (its environment is dropped afterwards).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path

from serverlite.template.model import FunctionSpec

log = logging.getLogger("serverlite.reload")


def watched_dirs(functions: Iterable[FunctionSpec]) -> dict[Path, set[str]]:
    """Directory -> names of the functions whose code or layers live there."""
    dirs: dict[Path, set[str]] = {}
    for fn in functions:
        if fn.inline_code is None:
            dirs.setdefault(fn.code_dir.resolve(), set()).add(fn.name)
        for layer in fn.layers:
            dirs.setdefault(layer.content_dir.resolve(), set()).add(fn.name)
    return dirs


def affected(
    dirs: dict[Path, set[str]], changed: Iterable[str], ignore: Iterable[Path] = ()
) -> set[str]:
    """Functions whose code changed; bytecode caches and ignored trees (state) do not count."""
    ignored = [p.resolve() for p in ignore]
    names: set[str] = set()
    for raw in changed:
        path = Path(raw)
        if "__pycache__" in path.parts or path.suffix in (".pyc", ".db", ".db-wal", ".db-shm"):
            continue
        if any(path == root or root in path.parents for root in ignored):
            continue
        for directory, fns in dirs.items():
            if path == directory or directory in path.parents:
                names |= fns
    return names


async def watch(
    functions: Iterable[FunctionSpec],
    invalidate: Callable[[str], None],
    ignore: Iterable[Path] = (),
) -> None:
    """Watch code and layer directories until cancelled."""
    from watchfiles import awatch

    dirs = watched_dirs(functions)
    existing = [str(d) for d in dirs if d.is_dir()]
    if not existing:
        return
    async for changes in awatch(*existing, debounce=100, step=20):
        names = affected(dirs, (path for _change, path in changes), ignore)
        for name in sorted(names):
            log.info("code changed: %s reloads on its next invocation", name)
            invalidate(name)
