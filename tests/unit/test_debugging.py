"""--debug's arguments, and which environments get debugpy or pdb (no I/O)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.errors import ConfigError
from serverlite.functions.debug_target import DEFAULT_PORT, DebugTarget, parse_port, parse_target
from serverlite.functions.environment import Settings, spawn_spec
from serverlite.template.model import FunctionSpec


def function(name: str) -> FunctionSpec:
    return FunctionSpec(
        logical_id=name,
        stack_path=(),
        name=name,
        arn=f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
        handler="app.handler",
        runtime="python3.11",
        code_dir=Path("/srv") / name,
    )


def test_debug_target_is_a_function_and_an_optional_port():
    assert parse_target("Fn") == DebugTarget("Fn", DEFAULT_PORT)
    assert parse_target("Stack/Fn=0") == DebugTarget("Stack/Fn", 0)
    assert parse_target("Fn=5679") == DebugTarget("Fn", 5679)
    assert parse_port(None) == parse_port("") == DEFAULT_PORT
    assert parse_port("0") == 0


@pytest.mark.parametrize("text", ["", "Fn=", "Fn=70000", "Fn=x", "=5678", "Fn=1=2"])
def test_a_malformed_debug_target_is_refused(text):
    with pytest.raises(ConfigError, match="FUNCTION or FUNCTION=PORT"):
        parse_target(text)


@pytest.mark.parametrize("text", ["70000", "Fn", "-1"])
def test_a_malformed_debug_port_is_refused(text):
    with pytest.raises(ConfigError, match="expected a port"):
        parse_port(text)


def test_only_the_named_functions_environments_run_debugpy():
    settings = Settings(debug=DebugTarget("A", 5679), terminal="/dev/pts/9")
    debugged = spawn_spec(function("A"), Path("/srv/A"), settings)
    other = spawn_spec(function("B"), Path("/srv/B"), settings)
    # Debugged only on loopback: debugpy runs whatever code its client sends.
    assert debugged["debug"] == {"host": "127.0.0.1", "port": 5679}
    assert "debug" not in other
    assert other["terminal"] == "/dev/pts/9"  # breakpoint() there opens pdb on invoke's tty


def test_without_debugging_no_environment_hears_of_it():
    spec = spawn_spec(function("A"), Path("/srv/A"), Settings())
    assert "debug" not in spec
    assert "terminal" not in spec
