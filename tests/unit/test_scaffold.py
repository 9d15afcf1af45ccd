"""`serverlite init`'s app (serverlite.commands.scaffold) and the example made from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.commands import scaffold
from serverlite.errors import ConfigError

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "notes"


def test_examples_notes_is_what_init_makes() -> None:
    made = scaffold.files(python="3.11")
    shipped = {
        str(path.relative_to(EXAMPLE)): path.read_text()
        for path in EXAMPLE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert shipped == made


def test_the_runtime_is_the_interpreters_when_lambda_has_it(monkeypatch) -> None:
    monkeypatch.setattr(scaffold.sys, "version_info", (3, 13, 0))
    assert scaffold.lambda_python() == "3.13"
    monkeypatch.setattr(scaffold.sys, "version_info", (3, 99, 0))
    assert scaffold.lambda_python() == scaffold.DEFAULT_PYTHON
    assert "Runtime: python3.13" in scaffold.files("3.13")["template.yaml"]


def test_the_handler_imports_only_what_lambda_provides() -> None:
    handler = scaffold.files("3.12")["src/notes/app.py"]
    imports = {line.split()[1] for line in handler.splitlines() if line.startswith("import ")}
    assert imports == {"json", "os", "boto3"}
    assert "from " not in handler


def test_scaffold_refuses_a_directory_with_any_of_its_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("mine")
    with pytest.raises(ConfigError, match=r"pyproject\.toml"):
        scaffold.scaffold(tmp_path)
    assert list(tmp_path.iterdir()) == [tmp_path / "pyproject.toml"]
