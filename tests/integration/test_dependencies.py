"""A function's world is what Lambda + sam build give it: its code, its requirements,
its layers, the runtime's boto3, the Python its template names, nothing of serverlite's."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serverlite.deps import interpreters
from serverlite.invoker.types import InvokeRequest
from serverlite.testing import LocalApp

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TEMPLATE = Path(__file__).parent.parent / "fixtures" / "deps" / "template.yaml"


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, tuple[Any, str | None]]]:
    """Every function of the fixture app invoked once: name -> (payload, function error);
    "<name> later": SixOld's and SixNew's second environment, forked once their zygotes
    had preloaded the SDK (after each world's first environment)."""

    async def go() -> dict[str, tuple[Any, str | None]]:
        async with LocalApp(TEMPLATE) as local:
            cloud = local.cloud
            assert cloud is not None
            answers = {}
            for name in ("Undeclared", "SixOld", "SixNew", "LayerUser", "Python312"):
                result = await cloud.invoker.invoke(InvokeRequest(name, b"{}"))
                answers[name] = (json.loads(result.payload), result.function_error)
            for _ in range(1200):
                if all(zygote.ready for zygote in cloud.zygotes.all()):
                    break
                await asyncio.sleep(0.05)
            for name in ("SixOld", "SixNew"):
                cloud.pool.invalidate(name)  # its next invocation forks a new environment
                result = await cloud.invoker.invoke(InvokeRequest(name, b"{}"))
                answers[f"{name} later"] = (json.loads(result.payload), result.function_error)
            return answers

    yield asyncio.run(go())


def test_an_undeclared_import_fails_as_on_aws(results, caplog) -> None:
    payload, error = results["Undeclared"]
    assert error == "Unhandled"
    assert payload == {
        "errorMessage": "Unable to import module 'app': No module named 'aws_lambda_powertools'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


def test_the_hint_names_the_requirements_file(tmp_path, caplog) -> None:
    caplog.set_level(logging.WARNING, "serverlite.functions")

    async def go() -> None:
        async with LocalApp(TEMPLATE, state_dir=tmp_path) as local:
            assert local.cloud is not None
            await local.cloud.invoker.invoke(InvokeRequest("Undeclared", b"{}"))

    asyncio.run(go())
    expected = str(TEMPLATE.parent / "undeclared" / "requirements.txt")
    hints = [r.getMessage() for r in caplog.records if "No module named" in r.getMessage()]
    assert len(hints) == 1 and expected in hints[0] and "aws_lambda_powertools" in hints[0]


def test_declared_packages_import_each_function_its_own_pin(results) -> None:
    (old, old_error), (new, new_error) = results["SixOld"], results["SixNew"]
    assert old_error is None and new_error is None
    # 1.16.0 is older than the runtime's own six: the function's pin shadows it.
    assert (old["six"], new["six"]) == ("1.16.0", "1.17.0")
    assert old["boto3"] == new["boto3"]  # the runtime's


def test_nothing_of_serverlites_environment_is_importable(results) -> None:
    for name in ("SixOld", "SixNew"):
        assert results[name][0]["leaked"] == []
        assert results[f"{name} later"][0]["leaked"] == []
        # The world's first environment was forked before its zygote preloaded anything;
        # then the zygote preloaded the runtime's botocore, and nothing its world lacks.
        assert results[name][0]["preloaded"] == []
        assert results[f"{name} later"][0]["preloaded"] == ["botocore"]


def test_a_build_method_layer_gets_its_requirements(results) -> None:
    payload, error = results["LayerUser"]
    assert error is None and payload == {"layer_six": "1.16.0"}


def test_the_runtime_the_template_names_runs_when_the_machine_has_it(results) -> None:
    payload, error = results["Python312"]
    assert error is None
    expected = "3.12" if interpreters.find("python3.12") else interpreters.host().version
    assert payload == {"python": expected, "env": "AWS_Lambda_python3.12"}


def _app(root: Path, requirements: str) -> Path:
    (root / "src").mkdir(exist_ok=True)
    (root / "src" / "app.py").write_text(
        "import six\ndef handler(event, context):\n    return six.__version__\n"
    )
    (root / "src" / "requirements.txt").write_text(requirements)
    template = root / "template.yaml"
    template.write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Pinned:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.11\n      CodeUri: src/\n      Handler: app.handler\n"
    )
    return template


def test_a_changed_requirements_file_is_installed_on_reload(tmp_path) -> None:
    template = _app(tmp_path, "six==1.16.0\n")

    async def go() -> list[str]:
        async with LocalApp(template, state_dir=tmp_path / "state") as local:
            assert local.cloud is not None
            first = await local.cloud.invoker.invoke(InvokeRequest("Pinned", b"{}"))
            (tmp_path / "src" / "requirements.txt").write_text("six==1.17.0\n")
            local.cloud.pool.invalidate("Pinned")  # what up's file watcher does
            second = await local.cloud.invoker.invoke(InvokeRequest("Pinned", b"{}"))
            return [json.loads(first.payload), json.loads(second.payload)]

    assert asyncio.run(go()) == ["1.16.0", "1.17.0"]


def test_a_pin_that_cannot_install_names_the_function_and_file(tmp_path) -> None:
    from serverlite.deps.requirements import DependencyError

    template = _app(tmp_path, "six==0.0.0.404\n")

    async def go() -> None:
        async with LocalApp(template, state_dir=tmp_path / "state"):
            pass

    with pytest.raises(DependencyError) as caught:
        asyncio.run(go())
    message = str(caught.value)
    assert f"Pinned ({tmp_path / 'src' / 'requirements.txt'})" in message
    assert "six==0.0.0.404" in message
