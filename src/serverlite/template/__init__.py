"""The template model: SAM/CloudFormation templates loaded into frozen specs.

load_application(path, ...) -> Application     everything serverlite runs from
parse_parameter_overrides(text) -> dict         sam's --parameter-overrides syntax
validate_template(path) -> list[Finding]        cfn-lint + serverlite's checks
"""

from __future__ import annotations

from .loader import load_application
from .model import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_REGION,
    Application,
    DestinationSpec,
    EventInvokeConfigSpec,
    EventSourceSpec,
    FunctionSpec,
    LayerSpec,
    ResourceSpec,
    StackSpec,
)
from .parameters import parse_parameter_overrides
from .resources import DEFAULT_RESOURCE_TYPES, ResourceType, ResourceView
from .validate import Finding, validate_template

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION",
    "DEFAULT_RESOURCE_TYPES",
    "Application",
    "DestinationSpec",
    "EventInvokeConfigSpec",
    "EventSourceSpec",
    "Finding",
    "FunctionSpec",
    "LayerSpec",
    "ResourceSpec",
    "ResourceType",
    "ResourceView",
    "StackSpec",
    "load_application",
    "parse_parameter_overrides",
    "validate_template",
]
