"""Object bytes as files under the state directory, never half-written where they show.

A body is written to ``tmp/``, fsynced, and renamed to ``blobs/<xx>/<name>`` (the
directory fsynced too); only then is the object's row committed (``store``), and a
replaced object's file is removed after its row is gone. So a kill -9 leaves at worst
a temp file or a file no row names, never a row naming missing or partial bytes; both
are swept at the next start. A file being read stays readable after it is replaced or
deleted (the open descriptor keeps it), as an S3 GET that started before a PUT
finishes with the old bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import BinaryIO

READ_CHUNK = 256 * 1024


class BlobWriter:
    """One body being written: ``write`` as it arrives, then ``commit`` or ``discard``."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self.name = secrets.token_hex(16)
        self._tmp = store.tmp / self.name
        self._file: BinaryIO = open(self._tmp, "xb")  # noqa: SIM115 (closed in commit/discard)
        self.size = 0

    def write(self, data: bytes) -> None:
        self._file.write(data)
        self.size += len(data)

    def copy_from(self, name: str) -> None:
        """Append a stored blob (a multipart part) without holding it in memory."""
        with open(self._store.path(name), "rb") as source:
            while chunk := source.read(1024 * 1024):
                self.write(chunk)

    async def commit(self) -> str:
        """Durable, then visible under its name; returns the name to store."""
        self._file.flush()
        directory = self._store.directory_for(self.name)
        await asyncio.get_running_loop().run_in_executor(None, self._persist, directory)
        return self.name

    def _persist(self, directory: Path) -> None:
        # The bytes, then the name: both on disk before the row that names them is
        # written, so even an operating-system crash cannot leave a row naming a file
        # that is missing or short (a kill -9 alone could not).
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._tmp, directory / self.name)
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)

    def discard(self) -> None:
        self._file.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.tmp = root / "tmp"
        self.blobs = root / "blobs"
        for directory in (root, self.tmp, self.blobs):
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._made: set[str] = set()

    def directory_for(self, name: str) -> Path:
        """The blob's directory (``blobs/<first two hex digits>``), made once."""
        directory = self.blobs / name[:2]
        if name[:2] not in self._made:
            directory.mkdir(mode=0o700, exist_ok=True)
            self._made.add(name[:2])
        return directory

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def path(self, name: str) -> Path:
        return self.blobs / name[:2] / name

    def link(self, name: str) -> str:
        """A new name for a stored blob's bytes (a copy): blobs never change, so a hard
        link is a copy that costs nothing and is whole the moment it exists."""
        new = secrets.token_hex(16)
        os.link(self.path(name), self.directory_for(new) / new)
        return new

    def open(self, name: str) -> BinaryIO:
        return open(self.path(name), "rb")

    def delete(self, names: Iterable[str | None]) -> None:
        """Remove blobs no row names any more. Unlinking a large file takes milliseconds:
        off the event loop when there is one (a crash before it leaves an orphan, swept
        at the next start)."""
        paths = [self.path(name) for name in names if name]
        if not paths:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            _unlink(paths)
            return
        loop.run_in_executor(None, _unlink, paths)

    def sweep(self, referenced: set[str]) -> int:
        """Remove temp files and files no row names (what a kill -9 left); how many."""
        removed = 0
        for leftover in self.tmp.iterdir():
            leftover.unlink()
            removed += 1
        for directory in self.blobs.iterdir():
            for blob in directory.iterdir():
                if blob.name not in referenced:
                    blob.unlink()
                    removed += 1
        return removed


async def stream(file: BinaryIO, start: int, length: int) -> AsyncIterator[bytes]:
    """``length`` bytes from ``start``, a chunk at a time; the file is closed at the end."""
    try:
        file.seek(start)
        remaining = length
        while remaining > 0:
            chunk = file.read(min(READ_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk
    finally:
        file.close()


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
