"""serverlite installed from a wheel into a project of the user's own: a wheel built from
this checkout, a fresh virtualenv in a temporary directory, `serverlite init`, and the
new project's own test suite run by pytest through the plugin (entry point pytest11)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run(
    *args: str | Path, cwd: Path, timeout: float = 300, env: dict[str, str] | None = None
) -> str:
    if env is None:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**env, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(tmp: Path) -> Path:
    """A wheel of this checkout, built from a copy (pip builds in the tree it is given)."""
    source = tmp / "source"
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", ".", cwd=source
    )
    (wheel,) = (tmp / "dist").glob("serverlite-*.whl")
    return wheel


def virtualenv(tmp: Path, wheel: Path) -> Path:
    """A new virtualenv holding the wheel. Its dependencies (pinned in the wheel's
    metadata) are this environment's: a .pth file puts its site-packages after the
    venv's own, so nothing is downloaded while testing and serverlite itself is the
    wheel's (the venv's site-packages come first)."""
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "-q", "--no-deps", wheel, cwd=tmp)
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp)
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    Path(site.strip(), "dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    return python


def test_a_project_made_by_init_passes_its_own_tests_from_a_wheel(tmp_path: Path) -> None:
    python = virtualenv(tmp_path, build_wheel(tmp_path))
    where = run(python, "-c", "import serverlite; print(serverlite.__file__)", cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(tmp_path / "venv")  # the wheel, not the checkout

    project = tmp_path / "my-notes"
    out = run(python.parent / "serverlite", "init", project, cwd=tmp_path)
    assert "created" in out
    assert (project / "template.yaml").is_file()
    run(python.parent / "serverlite", "validate", cwd=project)

    result = run(python, "-m", "pytest", "-p", "no:cacheprovider", "-v", cwd=project)
    assert "6 passed" in result
    assert "plugins:" in result and "serverlite-0.1.0" in result


def test_init_overwrites_nothing(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from serverlite.cli import main

    (tmp_path / "template.yaml").write_text("mine")
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "template.yaml" in result.output
    assert (tmp_path / "template.yaml").read_text() == "mine"
    assert not (tmp_path / "src").exists()


def test_init_writes_the_project_under_the_umask_the_user_started_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # serverlite keeps its state at 077; a new app is the user's project to share and commit.
    from click.testing import CliRunner

    from serverlite import cli

    monkeypatch.setattr(cli, "_user_umask", 0o022)
    result = CliRunner().invoke(cli.main, ["init", str(tmp_path / "app")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "app" / "template.yaml").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "app" / "src").stat().st_mode & 0o777 == 0o755
    current = os.umask(0o077)
    assert current == 0o077  # serverlite's own umask is back once the app is written
