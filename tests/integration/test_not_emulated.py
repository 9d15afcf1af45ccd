"""Never silent: what a template declares and serverlite does not emulate is named once at
start (and by `serverlite validate`), with what it means, and the rest runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.conftest import Server, cli, start_server

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).resolve().parents[1] / "fixtures" / "not_emulated" / "template.yaml"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    up = start_server(
        TEMPLATE, tmp_path_factory.mktemp("not-emulated") / "state", "--port", "0", "--no-reload"
    )
    yield up
    up.stop()


def test_up_names_each_missing_type_once_and_serves_the_rest(server: Server) -> None:
    lines = [line for line in server.output().splitlines() if line.startswith("not emulated:")]
    assert len(lines) == 3, lines
    text = "\n".join(lines)
    assert "AWS::EC2::VPC (resource: Vpc)" in text
    assert "AWS::AppSync::GraphQLApi (resource: Graph) is not emulated" in text
    assert "named by Starter" in text
    assert "IoTRule (event: Hello.Iot) is not emulated: nothing triggers" in text
    assert "Parameters.Env: no value given and no Default" in server.output()
    answer = httpx.get(server.api_base() + "/hello").json()
    assert answer == {"env": "UNSET-Env", "block": "Vpc.CidrBlockAssociations-0"}


def test_validate_lists_them_as_warnings() -> None:
    result = cli("validate", "-t", str(TEMPLATE), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("[SL0003]") == 3
    assert "valid (0 errors" in result.stderr
