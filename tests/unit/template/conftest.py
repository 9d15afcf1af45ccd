"""Helpers: write a small SAM app into a temporary directory and load it from there."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from serverlite.template import Application, load_application

HEADER = "Transform: AWS::Serverless-2016-10-31\n"

Write = Callable[..., Path]


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary app directory, the working directory (errors name "template.yaml")."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    return tmp_path


@pytest.fixture
def write(app_dir: Path) -> Write:
    def write_template(text: str, name: str = "template.yaml", header: bool = True) -> Path:
        path = app_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = textwrap.dedent(text).lstrip("\n")
        path.write_text((HEADER if header else "") + body)
        return path

    return write_template


@pytest.fixture
def load(write: Write) -> Callable[..., Application]:
    """Write template text as template.yaml and load it."""

    def load_text(text: str, **kwargs: object) -> Application:
        return load_application(write(text), **kwargs)  # type: ignore[arg-type]

    return load_text


def _block(text: str, indent: int) -> str:
    body = textwrap.dedent(text).strip("\n")
    return textwrap.indent(body, " " * indent) + "\n" if body.strip() else ""


def function_template(properties: str = "", resources: str = "", sections: str = "") -> str:
    """A template with one python3.12 function Fn.

    ``properties`` are added to Fn, ``resources`` after it under Resources, ``sections``
    (Outputs, Conditions, ...) at the top level; each is dedented first.
    """
    head = (
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        "      CodeUri: src/\n"
    )
    return head + _block(properties, 6) + _block(resources, 2) + _block(sections, 0)
