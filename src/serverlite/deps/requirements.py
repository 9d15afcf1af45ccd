"""A requirements file read as ``sam build`` reads it, reduced to what decides an install.

Two files that say the same thing (comments, blank lines, spacing aside) are one set:
the cache key is a hash of the normalized text, the Python version and the platform,
so functions with equal requirements share one installed directory, on one machine,
across projects and state directories.
"""

from __future__ import annotations

import hashlib
import platform
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from serverlite.errors import ServerliteError

REQUIREMENTS_FILE = "requirements.txt"  # what sam build's Python builder looks for
_INCLUDE = re.compile(r"^(-r|--requirement)(\s+|=)(?P<path>\S+)$")
_COMMENT = re.compile(r"(^|\s)#.*$")


class DependencyError(ServerliteError):
    """A function's dependencies cannot be read or installed (names the function and file)."""


def host_platform() -> str:
    """``linux-x86_64``: wheels are chosen per operating system and machine."""
    return f"{sys.platform}-{platform.machine()}"


@dataclass(frozen=True)
class RequirementSet:
    """One distinct set of requirements for one Python version on one platform."""

    text: str  # normalized lines, "\n"-joined
    python: str  # "3.12"
    platform: str = field(default_factory=host_platform)
    sources: tuple[Path, ...] = field(default=(), compare=False)  # for messages only

    @property
    def key(self) -> str:
        digest = hashlib.sha256(f"{self.text}\0{self.python}\0{self.platform}".encode())
        return digest.hexdigest()[:32]

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def describe(self) -> str:
        names = ", ".join(self.lines[:4]) + (", ..." if len(self.lines) > 4 else "")
        return f"{names} (Python {self.python})"  # no brackets: rich reads them as markup


def normalized_lines(path: Path, seen: frozenset[Path] = frozenset()) -> list[str]:
    """The file's requirement lines, comments and blanks removed, ``-r`` includes inlined."""
    path = path.resolve()
    if path in seen:
        raise DependencyError(f"{path}: includes itself (-r loop)")
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DependencyError(f"{path}: cannot read: {exc.strerror}") from exc
    lines: list[str] = []
    for written in raw.splitlines():
        line = _COMMENT.sub("", written).strip()
        if not line:
            continue
        include = _INCLUDE.match(line)
        if include:
            lines += normalized_lines(path.parent / include["path"], seen | {path})
        else:
            lines.append(" ".join(line.split()))
    return lines


def read_set(files: list[Path], python: str) -> RequirementSet | None:
    """The set the files declare together (None: they declare nothing)."""
    lines: list[str] = []
    for path in files:
        lines += [line for line in normalized_lines(path) if line not in lines]
    if not lines:
        return None
    return RequirementSet(text="\n".join(lines), python=python, sources=tuple(files))


def requirements_file(directory: Path) -> Path | None:
    """The requirements.txt ``sam build`` would install for a code or layer directory."""
    path = directory / REQUIREMENTS_FILE
    return path if path.is_file() else None
