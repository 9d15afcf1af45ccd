"""Validate an application's templates: cfn-lint on every template, plus serverlite's checks.

Only ``serverlite validate`` uses this; loading never runs cfn-lint (it takes ~1 s).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from serverlite.errors import TemplateError, TemplateErrors

from .checks import RULES, CheckError
from .coverage import not_emulated
from .loader import load_application
from .model import DEFAULT_REGION
from .nested import NESTED_TYPES, child_template_path
from .yaml_loader import display_path, line_of, load_template

_LEVELS = {"error": "error", "warning": "warning", "informational": "info", "info": "info"}
_LINE_PATH = re.compile(r"line (\d+)")


@dataclass(frozen=True)
class Finding:
    """One problem in one template."""

    file: str
    line: int | None
    rule: str  # cfn-lint's ("E3012") or serverlite's ("SL1002")
    level: str  # error | warning | info
    message: str
    explanation: str  # what the rule is about, for a human
    source: str  # "cfn-lint" | "serverlite"
    path: str = ""  # template path ("Resources.Fn.Properties.Timeout") when known

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.level} {self.rule} {self.message}"


def validate_template(
    template_path: Path,
    *,
    parameter_overrides: Mapping[str, str] | None = None,
    region: str = DEFAULT_REGION,
    lint: bool = True,
    services: Collection[str] | None = None,
) -> list[Finding]:
    """Every finding for the application rooted at ``template_path`` (root + nested).

    With ``services`` (the emulated services' names), what serverlite does not emulate
    is a warning too (SL0003)."""
    template_path = Path(template_path)
    findings: list[Finding] = []
    serverlite = _serverlite_findings(template_path, parameter_overrides, region, services)
    # serverlite's errors first: its root causes explain cfn-lint's findings about them.
    findings.extend(f for f in serverlite if f.level == "error")
    if lint:
        findings.extend(_lint(template_files(template_path), region))
    findings.extend(f for f in serverlite if f.level != "error")
    return findings


def template_files(template_path: Path) -> list[Path]:
    """The root template and every local nested template it names literally."""
    found: list[Path] = []
    pending = [Path(template_path)]
    seen: set[Path] = set()
    while pending:
        path = pending.pop(0)
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        found.append(path)
        try:
            template = load_template(path)
        except TemplateError:
            continue
        resources = template.get("Resources")
        for body in resources.values() if isinstance(resources, dict) else ():
            if not isinstance(body, dict) or body.get("Type") not in NESTED_TYPES:
                continue
            props = body.get("Properties")
            location = props.get(NESTED_TYPES[body["Type"]]) if isinstance(props, dict) else None
            if isinstance(location, str):
                try:
                    pending.append(child_template_path(path, location, "", ""))
                except TemplateError:
                    continue  # the loader reports it
    return found


def _lint(paths: list[Path], region: str) -> list[Finding]:
    from cfnlint.api import ManualArgs, lint_by_config

    matches = lint_by_config(ManualArgs(templates=[str(p) for p in paths], regions=[region]))
    findings = []
    for match in matches:
        rule = match.rule
        explanation = f"{rule.shortdesc}: {rule.description}"
        if getattr(rule, "source_url", ""):
            explanation += f" ({rule.source_url})"
        findings.append(
            Finding(
                file=display_path(Path(match.filename)) if match.filename else "",
                line=match.linenumber,
                rule=str(rule.id),
                level=_LEVELS.get(str(rule.severity).lower(), "error"),
                message=str(match.message),
                explanation=explanation,
                source="cfn-lint",
            )
        )
    return findings


def _serverlite_findings(
    template_path: Path,
    parameter_overrides: Mapping[str, str] | None,
    region: str,
    services: Collection[str] | None = None,
) -> list[Finding]:
    try:
        app = load_application(
            template_path, parameter_overrides=parameter_overrides, region=region
        )
    except TemplateErrors as exc:
        errors: list[TemplateError] = exc.errors
    except TemplateError as exc:
        errors = [exc]
    else:
        note = RULES["SL0002"][1]
        root = display_path(template_path)
        found = [
            Finding(root, None, "SL0002", "warning", warning, note, "serverlite")
            for warning in app.warnings
        ]
        title, why = RULES["SL0003"]
        found.extend(
            Finding(root, None, "SL0003", "warning", str(m), f"{title}: {why}", "serverlite")
            for m in (not_emulated(app, services) if services is not None else ())
        )
        return found
    lines = _LineFinder()
    findings = []
    for error in errors:
        rule = error.rule if isinstance(error, CheckError) else "SL0001"
        title, explanation = RULES.get(rule, RULES["SL0001"])
        findings.append(
            Finding(
                file=error.file,
                line=lines.find(error.file, error.path),
                rule=rule,
                level="error",
                message=f"{error.path}: {error.message}" if error.path else error.message,
                explanation=f"{title}: {explanation}",
                source="serverlite",
                path=error.path,
            )
        )
    return findings


class _LineFinder:
    """Lines of template paths, reading each template (with line marks) once."""

    def __init__(self) -> None:
        self._templates: dict[str, Any] = {}

    def find(self, file: str, path: str) -> int | None:
        match = _LINE_PATH.fullmatch(path)
        if match:
            return int(match.group(1))
        if file not in self._templates:
            try:
                self._templates[file] = load_template(Path(file), file)
            except TemplateError:
                self._templates[file] = None
        template = self._templates[file]
        return line_of(template, path) if template is not None and path else None
