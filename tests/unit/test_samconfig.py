"""samconfig.toml / .yaml applied to a command as the SAM CLI applies it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from click.testing import CliRunner

from serverlite.commands.samconfig import config_options
from serverlite.template.env_vars import read_env_vars

SEEN: dict[str, Any] = {}


@click.command()
@config_options("local_start_api")
@click.option("--template", "-t", "template")
@click.option("--parameter-overrides", "overrides", multiple=True)
@click.option("--port", default=3000, type=int)
@click.option("--state-dir", default=".serverlite")
@click.option("--env-vars", "env_vars")
def fake_up(**kwargs: Any) -> None:
    SEEN.clear()
    SEEN.update(kwargs)


TOML = """
version = 0.1
[default.deploy.parameters]
parameter_overrides = "Stage=deployed Table=from-deploy"
[default.global.parameters]
parameter_overrides = ["Stage=global", "Name=\\"a b\\""]
[default.local_start_api.parameters]
port = 3100
env_vars = "env.json"
[default.serverlite.parameters]
state_dir = "/tmp/state"
[prod.global.parameters]
parameter_overrides = "Stage=prod"
template_file = "other.yaml"
"""


def run(tmp_path: Path, *args: str) -> click.testing.Result:
    return CliRunner().invoke(fake_up, ["-t", str(tmp_path / "template.yaml"), *args])


def test_default_environment_sections_merge_and_the_command_line_wins(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    (tmp_path / "samconfig.toml").write_text(TOML)
    result = run(tmp_path, "--parameter-overrides", "Name=cli")
    assert result.exit_code == 0, result.output
    # deploy (lowest), then global, then the command line, key by key
    assert SEEN["overrides"] == (
        "Stage=deployed Table=from-deploy",
        "Stage=global",
        'Name="a b"',
        "Name=cli",
    )
    assert SEEN["port"] == 3100
    assert SEEN["state_dir"] == "/tmp/state"
    assert SEEN["env_vars"] == str(tmp_path / "env.json")  # relative to the config file
    result = run(tmp_path, "--port", "0")
    assert SEEN["port"] == 0


def test_named_environment_and_template_file(tmp_path: Path) -> None:
    (tmp_path / "samconfig.yaml").write_text(
        "version: 0.1\nprod:\n  global:\n    parameters:\n      template_file: other.yaml\n"
        "      parameter_overrides: Stage=prod\n"
    )
    result = CliRunner().invoke(
        fake_up, ["--config-file", str(tmp_path / "samconfig.yaml"), "--config-env", "prod"]
    )
    assert result.exit_code == 0, result.output
    assert SEEN["template"] == str(tmp_path / "other.yaml")
    assert SEEN["overrides"] == ("Stage=prod",)


def test_unknown_environment_and_unknown_serverlite_setting_are_refused(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text("Resources: {}\n")
    (tmp_path / "samconfig.toml").write_text(TOML)
    result = run(tmp_path, "--config-env", "staging")
    assert result.exit_code == 2
    assert "no environment 'staging' (environments: default, prod)" in result.output
    (tmp_path / "samconfig.toml").write_text("[default.serverlite.parameters]\nprot = 1\n")
    result = run(tmp_path)
    assert result.exit_code == 2
    assert "prot: not an option of this command" in result.output
    # sam's own settings for commands serverlite does not have are left alone
    (tmp_path / "samconfig.toml").write_text(
        "[default.local_start_api.parameters]\nwarm_containers = 'EAGER'\n"
    )
    assert run(tmp_path).exit_code == 0


def test_env_vars_file(tmp_path: Path) -> None:
    path = tmp_path / "env.json"
    path.write_text(json.dumps({"Parameters": {"A": "1", "B": True}, "Fn": {"A": 2}}))
    env = read_env_vars(path)
    assert env.shared == {"A": "1", "B": "true"}
    assert env.by_function == {"Fn": {"A": "2"}}
