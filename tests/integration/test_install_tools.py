"""serverlite run by the tools people install Python applications with: ``uvx --from
<wheel>`` (uv, pinned in this project) and ``pipx install <wheel>`` (pipx installed from
PyPI into a temporary virtualenv), in a SAM project of the user's own made by
``serverlite init``: ``--help``, ``validate``, and ``up`` serving the project's API.
The wheel is built from this checkout as test_install_anywhere builds it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.integration.test_install_anywhere import build_wheel, run

pytestmark = [pytest.mark.integration, pytest.mark.slow]
UVX = Path(sys.executable).parent / "uvx"  # the pinned uv's
# What uv says when the index cannot be reached (then the test is skipped, saying so).
OFFLINE = ("Failed to fetch", "error sending request", "dns error", "Could not connect")


def tool_env(tmp: Path) -> dict[str, str]:
    """The environment the tools run in: every place they install to is under ``tmp``
    (uv's download cache stays the user's: uv locks it, and it is what makes this fast)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {
        **env,
        "NO_COLOR": "1",
        "UV_TOOL_DIR": str(tmp / "uv-tools"),
        "UV_TOOL_BIN_DIR": str(tmp / "uv-bin"),
        "PIPX_HOME": str(tmp / "pipx-home"),
        "PIPX_BIN_DIR": str(tmp / "pipx-bin"),
        "PIPX_MAN_DIR": str(tmp / "pipx-man"),
        "XDG_CACHE_HOME": env.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),
    }


def up_serves_the_api(command: list[str], project: Path, env: dict[str, str]) -> None:
    """``serverlite up`` (every port from the OS) serves the project's API: a note
    stored through it reads back."""
    state = project / ".serverlite"
    log_path = project.parent / f"up-{time.monotonic_ns()}.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [*command, "up", "--port", "0", "--aws-port", "0", "--xray-port", "0", "--no-reload"],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 300  # a first start installs the function's world
        while time.monotonic() < deadline:
            assert proc.poll() is None, log_path.read_text()
            if "serverlite is up" in log_path.read_text(errors="replace"):
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"up did not start:\n{log_path.read_text()}")
        (api,) = json.loads((state / "urls.json").read_text())["apis"].values()
        put = urllib.request.Request(f"{api}/notes/first", data=b'{"text": "hi"}', method="PUT")
        with urllib.request.urlopen(put, timeout=30) as response:
            assert response.status == 201
        with urllib.request.urlopen(f"{api}/notes/first", timeout=30) as response:
            assert json.loads(response.read()) == {"id": "first", "text": "hi"}
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_uvx_runs_serverlite_from_the_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    env = tool_env(tmp_path)
    serverlite = [str(UVX), "--from", str(wheel), "serverlite"]
    first = subprocess.run(  # resolves the wheel's pinned dependencies: PyPI, or uv's cache
        [*serverlite, "--help"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    if first.returncode != 0 and any(s in first.stderr for s in OFFLINE):
        pytest.skip(f"uvx could not reach PyPI: {first.stderr[-500:]}")
    assert first.returncode == 0 and "serverlite" in first.stdout, first.stderr
    project = tmp_path / "my-notes"
    run(*serverlite, "init", project, cwd=tmp_path, env=env)
    run(*serverlite, "validate", cwd=project, env=env)
    up_serves_the_api(serverlite, project, env)


def test_pipx_installs_serverlite_from_the_wheel(tmp_path: Path) -> None:
    wheel = build_wheel(tmp_path)
    env = tool_env(tmp_path)
    venv = tmp_path / "pipx-venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    installed = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "-q", "pipx"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if installed.returncode != 0:  # no PyPI from here: said, not failed
        pytest.skip(f"pipx could not be installed from PyPI: {installed.stderr[-500:]}")
    run(venv / "bin" / "pipx", "install", wheel, cwd=tmp_path, env=env, timeout=900)
    serverlite = [str(tmp_path / "pipx-bin" / "serverlite")]
    assert "serverlite" in run(*serverlite, "--help", cwd=tmp_path, env=env)
    project = tmp_path / "my-notes"
    run(*serverlite, "init", project, cwd=tmp_path, env=env)
    run(*serverlite, "validate", cwd=project, env=env)
    up_serves_the_api(serverlite, project, env)
