"""A function's importable world: its interpreter and its sys.path, as Lambda builds it.

On Lambda, sys.path is ``/var/task`` (the code, with what ``sam build`` installed from
its requirements.txt), then the layers merged under ``/opt/python`` (a later layer
shadowing an earlier one; a ``BuildMethod: python3.x`` layer's requirements installed
into it), then the runtime's own boto3/botocore, then the standard library. Here the
same order is made of directories: the code directory, the function's installed set,
each layer's directories followed by its installed set (the last layer first), the
public Powertools layers the function names, the runtime base. Nothing of
serverlite's own environment is on it.

A world's zygote (the process environments fork from) gets the same path without the
code and layer directories (which change under hot reload): the installed sets and
the runtime base, keyed with the interpreter, so functions with equal dependencies
share one zygote.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from serverlite.template import powertools_layers as powertools
from serverlite.template.model import FunctionSpec

from . import interpreters, runtime_base
from .cache import DepCache, Need, Progress
from .interpreters import Interpreter
from .requirements import DependencyError, RequirementSet, read_set, requirements_file

log = logging.getLogger("serverlite.deps")
REQUIREMENTS_FILE = "requirements.txt"


@dataclass(frozen=True)
class Part:
    """One entry of a world's path after the code directory: a directory as written, or
    an installed set (with who declares it, for messages)."""

    directory: Path | None = None
    rset: RequirementSet | None = None
    source: str = ""


@dataclass(frozen=True)
class Plan:
    """What a function's world is made of, before anything is installed."""

    function: str
    interpreter: Interpreter
    exact: bool  # the runtime's own Python (else the host's)
    parts: tuple[Part, ...]
    requirements_file: Path  # where an undeclared import belongs
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class World:
    interpreter: Interpreter
    sys_path: tuple[str, ...]  # after the code directory
    zygote_path: tuple[str, ...]  # installed sets and the runtime base only
    requirements_file: Path

    @property
    def zygote_key(self) -> tuple[str, tuple[str, ...]]:
        return self.interpreter.path, self.zygote_path


def world_key(fn: FunctionSpec) -> str:
    """A published version runs a snapshot of the code (and its requirements.txt)."""
    return fn.name if fn.version == "$LATEST" else f"{fn.name}:{fn.version}"


def _set_for(files: list[Path], python: str, who: str) -> RequirementSet | None:
    try:
        return read_set(files, python)
    except DependencyError as exc:
        raise DependencyError(f"{who}: {exc}") from exc


def plan(fn: FunctionSpec, code_dir: Path) -> Plan:
    """The function's world as its template and requirements files declare it."""
    interpreter, exact = interpreters.for_runtime(fn.runtime)
    python = interpreter.version
    parts: list[Part] = []
    own = requirements_file(code_dir) if fn.inline_code is None else None
    if own is not None and (rset := _set_for([own], python, fn.name)) is not None:
        parts.append(Part(rset=rset, source=f"{fn.name} ({own})"))
    for layer in reversed(fn.layers):
        parts += [Part(directory=p) for p in layer.python_paths]
        file = requirements_file(layer.content_dir) if layer.builds_python else None
        rset = _set_for([file], python, f"{fn.name}: layer {layer.name}") if file else None
        if rset is not None:
            parts.append(Part(rset=rset, source=f"{fn.name} (layer {layer.name}: {file})"))
    notes = []
    for arn in reversed(fn.external_layer_arns):
        layer_pt = powertools.recognize(arn)
        if layer_pt is None:
            continue
        rset = RequirementSet(text=layer_pt.requirement, python=python)
        parts.append(Part(rset=rset, source=f"{fn.name} (layer {arn})"))
        notes.append(f"{fn.name}: layer {layer_pt.describe()}")
    return Plan(
        function=fn.name,
        interpreter=interpreter,
        exact=exact,
        parts=tuple(parts),
        requirements_file=code_dir / REQUIREMENTS_FILE,
        notes=tuple(notes),
    )


def resolve(plan_: Plan, set_dirs: dict[str, Path], base: Path) -> World:
    sys_path: list[str] = []
    zygote_path: list[str] = []
    for part in plan_.parts:
        if part.rset is not None:
            directory = str(set_dirs[part.rset.key])
            zygote_path.append(directory)
        else:
            assert part.directory is not None
            directory = str(part.directory)
        if directory not in sys_path:
            sys_path.append(directory)
    sys_path.append(str(base))
    zygote_path.append(str(base))
    return World(
        interpreter=plan_.interpreter,
        sys_path=tuple(sys_path),
        zygote_path=tuple(dict.fromkeys(zygote_path)),
        requirements_file=plan_.requirements_file,
    )


def needs(plans: Iterable[Plan]) -> list[Need]:
    """The distinct sets the plans use, each with everyone who declares it."""
    by_key: dict[str, Need] = {}
    for p in plans:
        for part in p.parts:
            if part.rset is None:
                continue
            need = by_key.setdefault(part.rset.key, Need(part.rset, p.interpreter.path))
            need.users.append(part.source)
    return list(by_key.values())


class Worlds:
    """Every function's world, installed up front and re-read when its code changes."""

    def __init__(
        self,
        code_dir: Callable[[FunctionSpec], Path],
        cache: DepCache | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.cache = cache or DepCache()
        self._code_dir = code_dir
        self._progress = progress or log.info
        self._lock = threading.Lock()
        self._worlds: dict[str, World] = {}
        self._previous: dict[str, World] = {}  # before the last invalidate (hot reload)
        self._base: Path | None = None
        self._shim: Path | None = None

    @property
    def base(self) -> Path:
        if self._base is None:
            self._base = runtime_base.runtime_base(self.cache.root)
        return self._base

    @property
    def shim(self) -> Path:
        if self._shim is None:
            self._shim = runtime_base.shim(self.cache.root)
        return self._shim

    def debugpy(self) -> Path | None:
        return runtime_base.debugpy_dir(self.cache.root)

    def prepare(self, functions: Iterable[FunctionSpec]) -> list[str]:
        """Install every set the functions need (in parallel); return what to tell the user
        (the Powertools layers recognized). Raises DependencyError naming function and file."""
        functions = list(functions)
        plans = [plan(fn, self._code_dir(fn)) for fn in functions]
        dirs = self.cache.ensure_all(needs(plans), self._progress)
        base, _ = self.base, self.shim
        with self._lock:
            for fn, p in zip(functions, plans, strict=True):
                self._worlds[world_key(fn)] = resolve(p, dirs, base)
        return [note for p in plans for note in p.notes]

    def world(self, fn: FunctionSpec) -> World:
        """The function's world (blocking: installs a set its changed requirements need)."""
        key = world_key(fn)
        with self._lock:
            known = self._worlds.get(key)
        if known is not None:
            return known
        try:
            p = plan(fn, self._code_dir(fn))
            dirs = self.cache.ensure_all(needs([p]), self._progress)
        except DependencyError as exc:
            previous = self._previous.get(key)
            if previous is None:
                raise
            # A hot reload broke the requirements (a bad pin, no network): say so, and
            # keep running on what was installed, as the deployed function would.
            log.error("%s\n%s keeps its previous dependencies until this is fixed", exc, fn.name)
            world = previous
        else:
            world = resolve(p, dirs, self.base)
        with self._lock:
            self._worlds[key] = world
        return world

    def invalidate(self, function_name: str) -> None:
        """Its code changed: the requirements are read again before its next environment."""
        with self._lock:
            world = self._worlds.pop(function_name, None)
            if world is not None:
                self._previous[function_name] = world
