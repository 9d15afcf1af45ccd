"""`serverlite aws ...`: the AWS CLI against the running serverlite, on CLI v1 and v2."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import FIXTURES, Server, start_server

pytestmark = pytest.mark.integration
APP = FIXTURES / "app" / "template.yaml"
FAKE_AWS = """#!{python}
import json, os, sys
if sys.argv[1:] == ["--version"]:
    print(os.environ["FAKE_AWS_VERSION"])
else:
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_PROFILE")
    print(json.dumps({{"args": sys.argv[1:], "env": {{k: os.environ.get(k) for k in keys}}}}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    root = tmp_path_factory.mktemp("aws-wrapper")
    running = start_server(
        APP, root / "state", "--parameter-overrides", f"MarkerDir={root / 'm'}", "--no-reload"
    )
    yield running  # type: ignore[misc]
    running.stop()


def wrapper(
    server: Server, *args: str, path: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-m", "serverlite.cli", "aws", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **base,
            "SERVERLITE_STATE_DIR": str(server.state_dir),
            "PATH": path or os.environ["PATH"],
            **env,
        },
        check=False,
    )


def fake_aws(tmp_path: Path) -> str:
    script = tmp_path / "bin" / "aws"
    script.parent.mkdir()
    script.write_text(FAKE_AWS.format(python=sys.executable))
    script.chmod(0o755)
    return f"{script.parent}{os.pathsep}{os.environ['PATH']}"


@pytest.mark.parametrize("version", ["aws-cli/1.45.11 Python/3.11", "aws-cli/2.31.0 Python/3.13"])
def test_the_wrapper_adds_endpoint_credentials_region_and_v2s_binary_format(
    server, tmp_path, version
):
    ran = wrapper(
        server,
        "lambda",
        "invoke",
        "--function-name",
        "Behaviours",
        "out.json",
        path=fake_aws(tmp_path),
        FAKE_AWS_VERSION=version,
    )
    assert ran.returncode == 0, ran.stderr
    seen = json.loads(ran.stdout)
    added = ["--endpoint-url", server.url]  # the running up's, found in its state dir
    if version.startswith("aws-cli/2"):  # v2 would read --payload as base64; v1 refuses this
        added += ["--cli-binary-format", "raw-in-base64-out"]
    assert seen["args"] == ["lambda", "invoke", "--function-name", "Behaviours", "out.json", *added]
    assert seen["env"] == {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_PROFILE": None,
    }


def test_what_the_user_set_is_kept(server, tmp_path):
    ran = wrapper(
        server,
        "sqs",
        "list-queues",
        "--endpoint-url",
        "http://127.0.0.1:1",
        path=fake_aws(tmp_path),
        FAKE_AWS_VERSION="aws-cli/1.45.11",
        AWS_PROFILE="mine",
        AWS_REGION="eu-west-1",
    )
    seen = json.loads(ran.stdout)
    assert seen["args"] == ["sqs", "list-queues", "--endpoint-url", "http://127.0.0.1:1"]
    assert seen["env"] == {
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_DEFAULT_REGION": None,
        "AWS_PROFILE": "mine",
    }


@pytest.mark.skipif(shutil.which("aws") is None, reason="no AWS CLI on this machine")
def test_the_readme_invoke_works_with_the_installed_cli_and_no_aws_configuration(server, tmp_path):
    out = tmp_path / "out.json"
    ran = wrapper(
        server,
        "lambda",
        "invoke",
        "--function-name",
        "Behaviours",
        "--payload",
        '{"action": "echo", "n": 1}',
        str(out),
        HOME=str(tmp_path),  # no ~/.aws: nothing configured, as for a new user
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(out.read_text()) == {"action": "echo", "n": 1}


@pytest.mark.skipif(shutil.which("aws") is None, reason="no AWS CLI on this machine")
def test_the_hint_up_prints_runs_as_printed(server, tmp_path):
    hint = next(line for line in server.output().splitlines() if line.startswith("try:"))
    command = hint.removeprefix("try:").strip()
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    ran = subprocess.run(
        ["bash", "-c", command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **base,
            "HOME": str(tmp_path),  # no ~/.aws: nothing configured, as for a new user
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        },
        check=False,
    )
    assert ran.returncode == 0, (command, ran.stderr)
    assert (tmp_path / "out.json").exists()
