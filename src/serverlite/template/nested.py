"""Nested applications: where a child template is, and the parameters passed to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serverlite.errors import TemplateError

from .intrinsics import to_cfn_string

# Resource type -> the property naming the child template.
NESTED_TYPES = {
    "AWS::Serverless::Application": "Location",
    "AWS::CloudFormation::Stack": "TemplateURL",
}


def child_template_path(parent_template: Path, location: Any, file: str, path: str) -> Path:
    """The local template a nested application's ``Location`` names.

    ``Location`` is relative to the parent template's directory, as ``sam`` reads it.
    """
    if isinstance(location, dict):
        raise TemplateError(
            file,
            path,
            "this is an AWS Serverless Application Repository application "
            "(ApplicationId/SemanticVersion); serverlite runs only local nested "
            "applications: set Location to a template path such as ./orders/template.yaml",
        )
    if location is None:
        raise TemplateError(file, path, "is required: the path of the nested template")
    if not isinstance(location, str) or not location:
        raise TemplateError(file, path, "must be the path of a local template file")
    if location.startswith(("s3://", "http://", "https://")):
        raise TemplateError(
            file,
            path,
            f"{location} is remote; serverlite runs only local nested applications "
            "(a path to a template file, relative to this template)",
        )
    candidate = parent_template.parent / location
    if candidate.is_dir():
        candidate = candidate / "template.yaml"
    if not candidate.is_file():
        raise TemplateError(file, path, f"nested application template not found: {location}")
    return candidate


def child_parameters(values: Any, file: str, path: str) -> dict[str, str]:
    """The parent's resolved ``Parameters`` for a child, as the strings CloudFormation passes."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise TemplateError(file, path, "must be a mapping of parameter names to values")
    result: dict[str, str] = {}
    for key, value in values.items():
        if isinstance(value, list):
            # A list (e.g. a CommaDelimitedList parameter) is passed comma-joined.
            items = [to_cfn_string(item) for item in value]
            if any(item is None for item in items):
                raise TemplateError(file, f"{path}.{key}", "must be a string or a list of strings")
            result[key] = ",".join(item for item in items if item is not None)
            continue
        text = to_cfn_string(value)
        if text is None:
            raise TemplateError(file, f"{path}.{key}", f"must be a string, got {value!r}")
        result[key] = text
    return result
