"""Does every function import in the world Lambda would give it? (the deployability check)

For each function: its world as ``sam build`` would package it (deps/worlds.py: the
code, its installed requirements, its layers, the runtime's boto3/botocore, nothing
else), and its handler module imported by the function's own interpreter, isolated
(``-s -S -P``, no PYTHONPATH), with the function's environment variables, as Lambda's
init phase would.
This is the check ``sam build`` plus a runtime-like Python would make, done with
serverlite's own packaging (``sam build`` itself is not needed). Once the sets are in
the cache it needs no network.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from serverlite.deps.worlds import Worlds
from serverlite.template.model import Application, FunctionSpec

from . import boot
from .environment import Settings, build_env

IMPORT_TIMEOUT_S = 60.0
_IMPORT = (
    "import importlib, json, sys; "
    "sys.path[:0] = json.loads(sys.argv[1]); "
    "importlib.import_module(sys.argv[2])"
)


@dataclass(frozen=True)
class ImportFailure:
    function: str
    handler: str
    error: str  # the last line of the traceback: "ModuleNotFoundError: No module named 'x'"


def _check_one(fn: FunctionSpec, worlds: Worlds, region: str) -> ImportFailure | None:
    if fn.inline_code is not None:
        return None
    world = worlds.world(fn)
    sys_path = [str(fn.code_dir), *world.sys_path]
    module = fn.handler.rsplit(".", 1)[0].replace("/", ".")
    settings = Settings(region=region)
    env = build_env(fn, fn.code_dir, "import-check", settings, fn.code_dir, sys_path=sys_path)
    argv = [world.interpreter.path, "-s", "-S", "-P", "-c", _IMPORT, json.dumps(sys_path), module]
    try:
        done = subprocess.run(
            argv,
            cwd=fn.code_dir,
            env=boot.isolated_env(env),
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ImportFailure(fn.name, fn.handler, f"import took over {IMPORT_TIMEOUT_S:.0f} s")
    if done.returncode == 0:
        return None
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return ImportFailure(fn.name, fn.handler, lines[-1] if lines else f"exit {done.returncode}")


def check_imports(app: Application, worlds: Worlds) -> list[ImportFailure]:
    """Import every function's handler module in its world; the failures, by function."""
    worlds.prepare(app.functions)
    with ThreadPoolExecutor(max_workers=4) as pool:
        found = pool.map(lambda fn: _check_one(fn, worlds, app.region), app.functions)
        return [failure for failure in found if failure is not None]


def code_dir_of(fn: FunctionSpec) -> Path:
    return fn.code_dir
