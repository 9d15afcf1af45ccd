"""The pytest plugin (serverlite.pytest_plugin), as a project's own suite uses it: each
test runs pytest in a fresh directory (pytester) with warnings as errors and strict
markers, as a careful project configures it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent.parent / "fixtures"
pytestmark = [pytest.mark.integration, pytest.mark.slow]

STRICT_INI = """
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider
filterwarnings = error
{extra}
"""

ROUND_TRIP = """
import asyncio


def test_api_and_aws_clients(serverlite_client, serverlite_aws):
    assert serverlite_client.put("/items/a", json={"name": "Ada"}).status_code == 204
    assert serverlite_client.get("/items/a").json() == {"id": "a", "name": "Ada"}
    dynamodb = serverlite_aws("dynamodb")
    (table,) = dynamodb.list_tables()["TableNames"]
    assert dynamodb.get_item(TableName=table, Key={"id": {"S": "a"}})["Item"]["name"] == {
        "S": "Ada"
    }


def test_async_client(serverlite_async_client):
    async def get():
        async with serverlite_async_client as client:
            return await client.get("/items/missing")

    response = asyncio.run(get())
    assert response.status_code == 404
    assert response.json() == {"message": "no such item"}


def test_one_app_per_session(serverlite_app, serverlite_aws):
    assert serverlite_app.endpoint_url.startswith("http://127.0.0.1:")
    assert not serverlite_app.endpoint_url.endswith(":4566")  # a port from the OS
    assert serverlite_aws("sts").meta.region_name == serverlite_app.region
"""


def project(pytester: pytest.Pytester, where: str = ".", extra_ini: str = "") -> None:
    shutil.copytree(FIXTURES / "plugin_app", pytester.path / where, dirs_exist_ok=True)
    pytester.makeini(STRICT_INI.format(extra=extra_ini))


def test_fixtures_run_the_template_in_the_rootdir(pytester: pytest.Pytester) -> None:
    project(pytester)
    pytester.makepyfile(test_items=ROUND_TRIP)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=3)


def test_a_suite_that_asks_for_no_fixture_starts_nothing(pytester: pytest.Pytester) -> None:
    pytester.makeini(STRICT_INI.format(extra=""))  # no template anywhere: not an error
    pytester.makepyfile(
        test_plain="""
import threading

def test_nothing_started():
    assert "serverlite-app" not in {t.name for t in threading.enumerate()}
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)


def test_the_ini_option_names_the_template(pytester: pytest.Pytester) -> None:
    project(pytester, where="app", extra_ini="serverlite_template = app/template.yaml")
    pytester.makepyfile(test_items=ROUND_TRIP)
    pytester.runpytest_subprocess().assert_outcomes(passed=3)


def test_the_command_line_names_the_template_and_a_missing_one_is_an_error(
    pytester: pytest.Pytester,
) -> None:
    project(pytester, where="elsewhere")
    pytester.makepyfile(test_one="def test_up(serverlite_app):\n    assert serverlite_app.region\n")
    ok = pytester.runpytest_subprocess("--serverlite-template", "elsewhere")
    ok.assert_outcomes(passed=1)
    missing = pytester.runpytest_subprocess("--serverlite-template", "nowhere.yaml")
    missing.assert_outcomes(errors=1)
    missing.stdout.fnmatch_lines(["*serverlite: template not found:*nowhere.yaml*"])
