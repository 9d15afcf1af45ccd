from pathlib import Path

import pytest

from serverlite.deps import installer


def test_uv_installs_into_the_target_for_the_functions_interpreter() -> None:
    tool, argv = installer.install_command(Path("/r.txt"), Path("/set"), "/py/python3.12")
    assert tool == "uv" and Path(argv[0]).name == "uv"
    assert argv[1:3] == ["pip", "install"]
    assert argv[argv.index("--python") + 1] == "/py/python3.12"
    assert argv[argv.index("--target") + 1] == "/set"
    assert argv[argv.index("-r") + 1] == "/r.txt"


def test_pip_of_that_interpreter_when_there_is_no_uv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(installer, "uv_binary", lambda: None)
    tool, argv = installer.install_command(Path("/r.txt"), Path("/set"), "/py/python3.12")
    assert tool == "pip"
    assert argv[:4] == ["/py/python3.12", "-m", "pip", "install"]
    assert argv[argv.index("--target") + 1] == "/set"
