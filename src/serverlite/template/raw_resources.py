"""The Resources section as written: types, conditions, Globals merged, SAM's implicit ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from serverlite.errors import TemplateError

from .globals import apply_globals


@dataclass(frozen=True)
class RawResource:
    """A resource as written, with Globals merged into ``properties``."""

    logical_id: str
    type: str
    properties: Mapping[str, Any]
    local_properties: Mapping[str, Any]
    condition: str | None = None
    implicit: bool = False  # made by SAM (ServerlessRestApi, <Fn>Role), not written


def read_resources(
    resources: Any, global_sections: Mapping[str, Any], file: str, errors: list[TemplateError]
) -> dict[str, RawResource]:
    """Each well-formed resource by logical id; problems go to ``errors``."""
    if not isinstance(resources, dict) or not resources:
        errors.append(
            TemplateError(file, "Resources", "must be a mapping with at least one resource")
        )
        return {}
    table: dict[str, RawResource] = {}
    for logical_id, body in resources.items():
        where = f"Resources.{logical_id}"
        if not isinstance(body, dict) or not isinstance(body.get("Type"), str):
            errors.append(TemplateError(file, where, "must be a mapping with a Type"))
            continue
        local = body.get("Properties") or {}
        if not isinstance(local, dict):
            errors.append(TemplateError(file, f"{where}.Properties", "must be a mapping"))
            continue
        condition = body.get("Condition")
        if condition is not None and not isinstance(condition, str):
            errors.append(TemplateError(file, f"{where}.Condition", "must name a condition"))
            condition = None
        merged = apply_globals(global_sections, body["Type"], local)
        table[logical_id] = RawResource(logical_id, body["Type"], merged, local, condition)
    return table


def implicit_resources(
    resources: Mapping[str, RawResource], global_sections: Mapping[str, Any] | None = None
) -> dict[str, RawResource]:
    """Resources SAM generates that templates refer to (ServerlessRestApi, <Fn>Role).

    SAM applies ``Globals.Api`` / ``Globals.HttpApi`` to its implicit APIs as well.
    """
    sections = global_sections or {}
    implicit: dict[str, RawResource] = {}
    for resource in resources.values():
        if resource.type != "AWS::Serverless::Function":
            continue
        if "Role" not in resource.properties:
            role = f"{resource.logical_id}Role"
            implicit[role] = RawResource(role, "AWS::IAM::Role", {}, {}, implicit=True)
        events = resource.properties.get("Events")
        for event in events.values() if isinstance(events, dict) else ():
            if not isinstance(event, dict):
                continue
            props = event.get("Properties")
            props = props if isinstance(props, dict) else {}
            if event.get("Type") == "Api" and "RestApiId" not in props:
                implicit["ServerlessRestApi"] = RawResource(
                    "ServerlessRestApi",
                    "AWS::Serverless::Api",
                    apply_globals(sections, "AWS::Serverless::Api", {}),
                    {},
                    implicit=True,
                )
            if event.get("Type") == "HttpApi" and "ApiId" not in props:
                implicit["ServerlessHttpApi"] = RawResource(
                    "ServerlessHttpApi",
                    "AWS::Serverless::HttpApi",
                    apply_globals(sections, "AWS::Serverless::HttpApi", {}),
                    {},
                    implicit=True,
                )
    return {k: v for k, v in implicit.items() if k not in resources}
