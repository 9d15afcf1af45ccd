"""Code given as a ``.zip`` (CodeUri, Code, ContentUri): unpacked once per content.

Lambda runs a function from its unzipped package; serverlite unpacks the archive into
a cache directory named by the archive's SHA-256, so an unchanged archive is unpacked
once and a changed one gets a directory of its own (``$XDG_CACHE_HOME/serverlite/code``,
``~/.cache/serverlite/code`` by default).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "serverlite" / "code"


def unpacked(archive: Path, root: Path | None = None) -> Path:
    """The directory holding ``archive``'s files (unpacked now if it is not yet)."""
    import zipfile  # a template with archives only: not at every start

    digest = hashlib.sha256()
    with archive.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    target = (root or cache_root()) / digest.hexdigest()[:32]
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpacking-"))
    try:
        with zipfile.ZipFile(archive) as zf:
            # zipfile drops absolute paths and ".." parts: nothing lands outside staging.
            zf.extractall(staging)
        try:
            staging.rename(target)  # atomic: a concurrent start sees all or nothing
        except OSError:
            if not target.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
