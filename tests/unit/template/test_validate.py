"""validate_template: cfn-lint on every template of the app, plus serverlite's checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from serverlite.template import Finding, validate_template
from serverlite.template.validate import template_files

BROKEN = Path(__file__).parent / "fixtures" / "broken"


@pytest.fixture
def in_broken(monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(BROKEN)
    return Path("template.yaml")


def test_template_files_follow_nested_locations(in_broken: Path) -> None:
    assert template_files(in_broken) == [in_broken, Path("child/template.yaml")]


def test_cfn_lint_and_serverlite_findings(in_broken: Path) -> None:
    findings = validate_template(in_broken)
    lint = {(f.file, f.line, f.rule) for f in findings if f.source == "cfn-lint"}
    # A real schema error, a range error, and a broken Ref in the nested template.
    assert ("template.yaml", 19, "E3002") in lint
    assert ("template.yaml", 12, "E3034") in lint
    assert ("child/template.yaml", 6, "E1020") in lint
    ours = [f for f in findings if f.source == "serverlite"]
    assert ours == [
        Finding(
            file="child/template.yaml",
            line=6,
            rule="SL0001",
            level="error",
            message="Resources.Topic.Properties.TopicName: "
            "Ref to unknown resource or parameter 'Missing'",
            explanation="Template error: serverlite cannot load this part of the template, "
            "so the application would not start.",
            source="serverlite",
            path="Resources.Topic.Properties.TopicName",
        ),
        Finding(
            file="template.yaml",
            line=12,
            rule="SL1001",
            level="error",
            message="Resources.Fn.Properties.MemorySize: must be 128-10240, got 64",
            explanation="MemorySize out of range: Lambda accepts 128 to 10240 MB of memory.",
            source="serverlite",
            path="Resources.Fn.Properties.MemorySize",
        ),
    ]
    assert all(f.level in ("error", "warning", "info") and f.explanation for f in findings)
    assert str(ours[1]) == (
        "template.yaml:12: error SL1001 "
        "Resources.Fn.Properties.MemorySize: must be 128-10240, got 64"
    )


def test_serverlite_only_and_yaml_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("template.yaml").write_text("Resources:\n  Fn:\n    Type: [oops\n")
    (finding,) = validate_template(Path("template.yaml"), lint=False)
    assert (finding.file, finding.line, finding.rule, finding.level) == (
        "template.yaml",
        4,
        "SL0001",
        "error",
    )
    assert finding.message.startswith("line 4: invalid YAML")


def test_warnings_become_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "src").mkdir()
    Path("template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\n"
        "Resources:\n"
        "  Fn:\n"
        "    Type: AWS::Serverless::Function\n"
        "    Properties:\n"
        "      Handler: app.handler\n"
        "      Runtime: python3.12\n"
        "      CodeUri: src/\n"
        "      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:ext:3]\n"
    )
    (finding,) = validate_template(Path("template.yaml"), lint=False)
    assert (finding.rule, finding.level) == ("SL0002", "warning")
    assert "layer arn:aws:lambda:us-east-1:123456789012:layer:ext:3 is not defined" in (
        finding.message
    )
