"""Every shipped function (services/*, examples/*, through the root template and each
example's own) imports in the world Lambda would give it: its code, its declared
requirements, its layers and the runtime's boto3/botocore, nothing of serverlite's
environment. What `sam build` and a Python with only boto3 would check (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.deps.worlds import Worlds
from serverlite.functions.import_check import check_imports, code_dir_of
from serverlite.template import load_application

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent.parent
# The root template nests every service and the quickstart; the other examples stand alone.
SHIPPED = [
    "template.yaml",
    *sorted(
        str(t.relative_to(ROOT))
        for t in ROOT.glob("examples/*/template.yaml")
        if t.parent.name != "quickstart"
    ),
]


@pytest.mark.parametrize("template", SHIPPED)
def test_every_shipped_function_imports_with_only_its_declared_dependencies(template: str) -> None:
    app = load_application(ROOT / template)
    assert app.functions
    failures = check_imports(app, Worlds(code_dir_of))
    assert failures == [], "\n".join(f"{f.function} ({f.handler}): {f.error}" for f in failures)


def test_the_check_fails_a_function_that_imports_what_it_does_not_declare(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("import pydantic\ndef handler(e, c):\n    pass\n")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n"
        "  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n"
        "      Runtime: python3.11\n      CodeUri: src/\n      Handler: app.handler\n"
    )
    app = load_application(tmp_path / "template.yaml")
    [failure] = check_imports(app, Worlds(code_dir_of))
    assert failure.function == "Fn"
    assert failure.error == "ModuleNotFoundError: No module named 'pydantic'"
