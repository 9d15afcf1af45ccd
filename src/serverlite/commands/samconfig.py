"""``samconfig.toml`` / ``samconfig.yaml``: the SAM CLI's project configuration.

Read as the SAM CLI reads it: ``--config-file`` names the file, else ``samconfig.toml``
(then ``.yaml``, ``.yml``) next to the template (the project's root); ``--config-env``
picks the environment (``default``). A command's settings are
``[<env>.global.parameters]`` overlaid with its own section, and the command line wins
over both. ``serverlite up`` reads sam's ``local_start_api`` section, ``serverlite
invoke`` ``local_invoke``; serverlite's own settings (ports, state directory, ...) live in
``[<env>.serverlite.parameters]``, which sam ignores. ``parameter_overrides`` is merged
key by key, lowest first: ``deploy`` (where ``sam deploy --guided`` writes them; sam's
local commands would not read them), ``global``, the command's section, ``serverlite``,
then ``--parameter-overrides``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

import click
import yaml
from click.core import ParameterSource

from serverlite.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_NAMES = ("samconfig.toml", "samconfig.yaml", "samconfig.yml")
DEFAULT_ENV = "default"
SERVERLITE_SECTION = "serverlite"
# sam's key -> serverlite's option, where the names differ.
_ALIASES = {"template_file": "template"}
# Values that name files: relative to the configuration file's directory, as sam resolves them.
_PATH_KEYS = ("template", "env_vars")


def find_config(config_file: str | None, template: str | None) -> Path | None:
    """The configuration file to read, or None when the project has none."""
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ConfigError(f"--config-file: {config_file} not found")
        return path
    directory = Path.cwd()
    if template:
        given = Path(template)
        directory = given if given.is_dir() else given.parent
    for name in CONFIG_NAMES:
        if (directory / name).is_file():
            return directory / name
    return None


def read_config(path: Path) -> dict[str, Any]:
    import tomllib  # a project with a samconfig.toml only: not at every start

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text) or {}
    except (OSError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a configuration file is a table of environments")
    return data


def section(data: Mapping[str, Any], env: str, command: str) -> dict[str, Any]:
    """``[<env>.<command>.parameters]``, empty when absent."""
    body = data.get(env)
    commands = body if isinstance(body, dict) else {}
    found = commands.get(command)
    params = found.get("parameters") if isinstance(found, dict) else None
    return dict(params) if isinstance(params, dict) else {}


def _override_list(value: Any) -> list[str]:
    """parameter_overrides as sam accepts it: one string, or a list of ``Key=Value``."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)]


def settings(path: Path, env: str, command: str) -> tuple[dict[str, Any], list[str]]:
    """(option settings, parameter_overrides texts lowest first) for one command."""
    data = read_config(path)
    if env not in data and env != DEFAULT_ENV:
        known = ", ".join(k for k in data if isinstance(data[k], dict)) or "none"
        raise ConfigError(f"{path}: no environment {env!r} (environments: {known})")
    overrides = _override_list(section(data, env, "deploy").get("parameter_overrides"))
    merged: dict[str, Any] = {}
    for values in (
        section(data, env, "global"),
        section(data, env, command),
        section(data, env, SERVERLITE_SECTION),
    ):
        overrides += _override_list(values.pop("parameter_overrides", None))
        merged.update({_ALIASES.get(k, k): v for k, v in values.items()})
    for key in _PATH_KEYS:
        if isinstance(merged.get(key), str):
            merged[key] = str(path.parent / merged[key])
    return merged, overrides


def config_options(command: str) -> Callable[[F], F]:
    """Add --config-file / --config-env to a command and apply the file's settings to the
    options the command line left at their defaults (sam's precedence)."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(**kwargs: Any) -> Any:
            ctx = click.get_current_context()
            config_file, env = kwargs.pop("config_file"), kwargs.pop("config_env")
            try:
                path = find_config(config_file, kwargs.get("template"))
                if path is not None:
                    apply(ctx, kwargs, path, env, command)
                elif env != DEFAULT_ENV:
                    raise ConfigError(f"--config-env {env}: no samconfig.toml found")
            except ConfigError as exc:
                raise click.UsageError(str(exc)) from exc
            return func(**kwargs)

        wrapper = click.option(
            "--config-env",
            default=DEFAULT_ENV,
            show_default=True,
            help="Environment of the configuration file to use.",
        )(wrapper)
        wrapper = click.option(
            "--config-file",
            metavar="PATH",
            help="SAM configuration file (default: samconfig.toml next to the template).",
        )(wrapper)
        return cast(F, wrapper)

    return decorate


def apply(ctx: click.Context, kwargs: dict[str, Any], path: Path, env: str, command: str) -> None:
    """Fill ``kwargs`` (the command's arguments) from the configuration file."""
    values, overrides = settings(path, env, command)
    options = _options(ctx.command)
    own_keys = set(section(read_config(path), env, SERVERLITE_SECTION))
    for key, value in values.items():
        option = options.get(key)
        if option is None or option.name is None:
            if key in own_keys:  # serverlite's own section: a typo must not pass unnoticed
                raise ConfigError(
                    f"{path}: [{env}.{SERVERLITE_SECTION}.parameters] {key}: "
                    f"not an option of this command ({', '.join(sorted(options))})"
                )
            continue  # sam's settings for things serverlite does not have
        if ctx.get_parameter_source(option.name) not in (None, ParameterSource.DEFAULT):
            continue  # the command line wins
        given = [value] if option.multiple and not isinstance(value, list) else value
        try:
            kwargs[option.name] = option.type_cast_value(ctx, given)
        except click.BadParameter as exc:
            raise ConfigError(f"{path}: {key}: {exc.format_message()}") from exc
    if overrides and "overrides" in kwargs:
        kwargs["overrides"] = (*overrides, *kwargs["overrides"])


def _options(command: click.Command | None) -> dict[str, click.Option]:
    found: dict[str, click.Option] = {}
    for param in command.params if command is not None else ():
        if isinstance(param, click.Option):
            for opt in param.opts:
                if opt.startswith("--"):
                    found[opt[2:].replace("-", "_")] = param
    found.pop("parameter_overrides", None)  # merged key by key instead
    return found
