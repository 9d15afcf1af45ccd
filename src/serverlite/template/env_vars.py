"""``--env-vars``: environment variable overrides in the SAM CLI's JSON format.

    {"Parameters": {"TABLE": "local"}, "MyFunction": {"TABLE": "mine"}}

As ``sam local`` applies them: ``Parameters`` to every function, a function's own entry
(its logical id; serverlite also takes its qualified id ``App/Fn`` or its name) over
that, and only to variables the template declares for the function. A name the template
does not declare is not added (sam ignores it too; serverlite says so once).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from serverlite.errors import ConfigError

from .intrinsics import to_cfn_string
from .model import FunctionSpec

GLOBAL_KEY = "Parameters"


@dataclass(frozen=True)
class EnvVars:
    shared: Mapping[str, str] = field(default_factory=dict)
    by_function: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def for_function(self, fn: FunctionSpec) -> dict[str, str]:
        values = dict(self.shared)
        for key in (fn.logical_id, fn.qualified_id, fn.name):
            values.update(self.by_function.get(key, {}))
        return values


def read_env_vars(path: Path) -> EnvVars:
    """Parse an ``--env-vars`` file; a malformed one is a ConfigError naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--env-vars {path}: cannot read it as JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"--env-vars {path}: must be a JSON object of functions")
    shared: dict[str, str] = {}
    by_function: dict[str, dict[str, str]] = {}
    for key, values in data.items():
        if not isinstance(values, dict):
            raise ConfigError(
                f"--env-vars {path}: {key} must be an object of variable names to values"
            )
        texts = {}
        for name, value in values.items():
            text = to_cfn_string(value)
            if text is None:
                raise ConfigError(f"--env-vars {path}: {key}.{name} must be a string")
            texts[str(name)] = text
        if key == GLOBAL_KEY:
            shared = texts
        else:
            by_function[str(key)] = texts
    return EnvVars(shared, by_function)


def apply_env_vars(fn: FunctionSpec, env_vars: EnvVars) -> tuple[dict[str, str], list[str]]:
    """The function's environment with the overrides, and the names it ignored."""
    given = env_vars.for_function(fn)
    environment = dict(fn.environment)
    ignored = []
    for name, value in given.items():
        if name in environment:
            environment[name] = value
        elif name not in env_vars.shared:
            ignored.append(name)
    return environment, ignored
