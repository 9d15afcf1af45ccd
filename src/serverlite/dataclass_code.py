"""Dataclasses' generated methods, compiled once per machine instead of at every start.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` (and, frozen,
``__hash__``, ``__setattr__``, ``__delattr__``) as source text and compiles it when the
class is defined: `up` defines some 140 before its first answer, and compiling their
~750 methods took ~60 ms of a ~270 ms start. Importing this module (the CLI does, before
anything that defines one) gives the dataclasses module an ``exec`` that runs the code
an earlier start compiled from the same text, kept in
``$XDG_CACHE_HOME/serverlite/dataclasses`` (one file per Python version), and compiles
only text it has not seen; ``save`` writes what was compiled and lets the cache go once
the start is over. The text alone decides the code (filename ``<string>``, no future
flags inherited, as ``exec`` of the text does), so a class is the same either way. A
missing or unreadable cache is an empty one.
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import hashlib
import importlib.util
import marshal
import os
import sys
from types import CodeType
from typing import Any

MAX_ENTRIES = 4096  # past this, a save keeps only what the start used


def default_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "serverlite", "dataclasses")


def _file_name() -> str:
    """marshal's format and the bytecode are the interpreter's own: one file per
    version (its magic number) and optimization level."""
    tag = sys.implementation.cache_tag or "python"
    return f"dataclasses.{tag}-{importlib.util.MAGIC_NUMBER.hex()}-O{sys.flags.optimize}.marshal"


def _well_formed(index: object) -> bool:
    """An index as ``save`` writes it: digest -> (offset, size)."""
    return isinstance(index, dict) and all(
        type(key) is bytes and type(at) is tuple and [type(n) for n in at] == [int, int]
        for key, at in index.items()
    )


def _key(source: str) -> bytes:
    return hashlib.blake2b(source.encode(), digest_size=16).digest()


class CodeCache:
    """Code compiled from dataclasses' method text, by the text's digest.

    The file is one index (digest -> where its code is) and the marshalled code objects
    after it, read whole into one buffer: a code is unmarshalled when its class is
    defined, and the buffer (one allocation of its own, given back whole) goes at
    ``save``, so the cache leaves nothing behind in the process."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.data = b""
        self.base = 0  # where the code objects start in data
        self.index: dict[bytes, tuple[int, int]] | None = {}  # digest -> (offset, size)
        self.compiled: dict[bytes, bytes] = {}  # marshalled here: not in the file yet
        self.used: set[bytes] = set()
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
            with open(path, "rb") as file:
                data = file.read()
            size = int.from_bytes(data[:8], "little")
            index = marshal.loads(data[8 : 8 + size])
            if _well_formed(index):
                self.data, self.base, self.index = data, 8 + size, index

    def exec(self, source: Any, globals: Any = None, locals: Any = None) -> None:
        index = self.index  # None once saved (save may run on another thread)
        if isinstance(source, str) and index is not None:
            source = self._code(source, index)
        builtins.exec(source, globals, locals)

    def _code(self, source: str, index: dict[bytes, tuple[int, int]]) -> CodeType:
        key = _key(source)
        self.used.add(key)
        if (found := index.get(key)) is not None:
            start = self.base + found[0]
            with contextlib.suppress(EOFError, ValueError, TypeError):
                code = marshal.loads(memoryview(self.data)[start : start + found[1]])
                if isinstance(code, CodeType):
                    return code
        code = compile(source, "<string>", "exec", dont_inherit=True)
        self.compiled[key] = marshal.dumps(code)
        return code

    def save(self) -> None:
        """Write what was compiled (with what the file held), then hold nothing more:
        later classes compile as they always did."""
        index, self.index = self.index, None
        data, self.data = self.data, b""
        if index is None or not self.compiled:
            return
        blobs = {
            key: data[self.base + start : self.base + start + size]
            for key, (start, size) in index.items()
        } | self.compiled
        if len(blobs) > MAX_ENTRIES:
            blobs = {key: blob for key, blob in blobs.items() if key in self.used}
        self.compiled = {}
        offsets, at = {}, 0
        for key, blob in blobs.items():
            offsets[key] = (at, len(blob))
            at += len(blob)
        head = marshal.dumps(offsets)
        partial = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
            with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as f:
                f.write(len(head).to_bytes(8, "little") + head + b"".join(blobs.values()))
            os.replace(partial, self.path)  # a reader sees the old file or the new, whole
        except OSError:  # a read-only or full disk: the next start compiles again
            with contextlib.suppress(OSError):
                os.unlink(partial)


_installed: CodeCache | None = None


def install() -> None:
    """The dataclasses module's ``exec`` goes through the cache (once per process)."""
    global _installed
    if _installed is None:
        _installed = CodeCache(os.path.join(default_dir(), _file_name()))
        dataclasses.exec = _installed.exec  # type: ignore[attr-defined]


def save() -> None:
    """Write the cache, if installed, and let it go."""
    if _installed is not None:
        _installed.save()


# Importing this module installs it: the CLI imports it before the modules whose classes
# it serves. Nothing else imports it (a test's process, a function's environment).
install()
