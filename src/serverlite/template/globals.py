"""SAM's ``Globals`` section, merged into resources the way the SAM translator does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from serverlite.errors import TemplateError

from .intrinsics import is_intrinsic

# Globals section -> the resource type it applies to.
GLOBAL_SECTIONS = {
    "Function": "AWS::Serverless::Function",
    "Api": "AWS::Serverless::Api",
    "HttpApi": "AWS::Serverless::HttpApi",
    "SimpleTable": "AWS::Serverless::SimpleTable",
    "LayerVersion": "AWS::Serverless::LayerVersion",
    "StateMachine": "AWS::Serverless::StateMachine",
    "CapacityProvider": "AWS::Serverless::CapacityProvider",
}

# Lists SAM concatenates would make no sense here: a function has one architecture.
# (SAM is moving Function.Architectures to "resource replaces":
# aws/serverless-application-model#3939.)
_REPLACED_LISTS = {("Function", "Architectures")}


def check_globals(globals_section: Any, file: str) -> tuple[dict[str, Any], list[TemplateError]]:
    """The usable sections of ``Globals`` and the errors found in it."""
    if globals_section is None:
        return {}, []
    if not isinstance(globals_section, dict):
        return {}, [TemplateError(file, "Globals", "must be a mapping")]
    usable: dict[str, Any] = {}
    errors: list[TemplateError] = []
    for name, section in globals_section.items():
        if name not in GLOBAL_SECTIONS:
            known = ", ".join(GLOBAL_SECTIONS)
            errors.append(
                TemplateError(file, f"Globals.{name}", f"unsupported Globals section ({known})")
            )
        elif not isinstance(section, dict):
            errors.append(TemplateError(file, f"Globals.{name}", "must be a mapping"))
        else:
            usable[name] = section
    return usable, errors


def section_for(resource_type: str) -> str | None:
    for name, kind in GLOBAL_SECTIONS.items():
        if kind == resource_type:
            return name
    return None


def apply_globals(
    globals_section: Mapping[str, Any], resource_type: str, properties: Mapping[str, Any]
) -> dict[str, Any]:
    """``properties`` with the Globals for ``resource_type`` merged in.

    SAM's rules: a value set on the resource wins over a global one; mappings are
    merged key by key (recursively); lists are concatenated, the global entries
    first (so global Layers come before the function's own). An intrinsic function
    counts as a plain value, never merged.
    """
    name = section_for(resource_type)
    section = globals_section.get(name) if name else None
    if not section:
        return dict(properties)
    merged = dict(section)
    for key, local in properties.items():
        if key in merged:
            merged[key] = merge_values(
                merged[key], local, replace_lists=(name, key) in _REPLACED_LISTS
            )
        else:
            merged[key] = local
    return merged


def merge_values(global_value: Any, local_value: Any, *, replace_lists: bool = False) -> Any:
    """Merge one global value with the resource's own value (SAM's Globals rules)."""
    if is_intrinsic(global_value) or is_intrinsic(local_value):
        return local_value
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        merged = dict(global_value)
        for key, value in local_value.items():
            merged[key] = merge_values(merged[key], value) if key in merged else value
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list) and not replace_lists:
        return [*global_value, *local_value]
    return local_value


def has_path(properties: Any, keys: tuple[str, ...]) -> bool:
    """True when ``properties`` itself sets ``keys`` (so the value did not come from Globals)."""
    node = properties
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return False
        node = node[key]
    return True
