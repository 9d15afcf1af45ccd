"""The Resources section as written: types, conditions, Globals merged, SAM's implicit ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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
    metadata: Mapping[str, Any] = field(default_factory=dict)  # CDK's aws:asset:path, ...


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
        metadata = body.get("Metadata")
        table[logical_id] = RawResource(
            logical_id,
            body["Type"],
            merged,
            local,
            condition,
            metadata=metadata if isinstance(metadata, dict) else {},
        )
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
        implicit.update(_api_children(resource))
        if resource.type == "AWS::Serverless::StateMachine" and _machine_api(resource):
            # A state machine's Api event without RestApiId joins the implicit REST API.
            implicit["ServerlessRestApi"] = RawResource(
                "ServerlessRestApi",
                "AWS::Serverless::Api",
                apply_globals(sections, "AWS::Serverless::Api", {}),
                {},
                implicit=True,
            )
        if resource.type != "AWS::Serverless::Function":
            continue
        if "Role" not in resource.properties:
            role = f"{resource.logical_id}Role"
            implicit[role] = RawResource(role, "AWS::IAM::Role", {}, {}, implicit=True)
        events = resource.properties.get("Events")
        for event_name, event in events.items() if isinstance(events, dict) else ():
            if not isinstance(event, dict):
                continue
            props = event.get("Properties")
            props = props if isinstance(props, dict) else {}
            if event.get("Type") in ("Api", "HttpApi"):
                name = f"{resource.logical_id}{event_name}Permission"
                implicit[name] = _made(name, "AWS::Lambda::Permission", {})
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
    for name in ("ServerlessRestApi", "ServerlessHttpApi"):
        if name in implicit and name not in resources:
            stage = "Prod" if name == "ServerlessRestApi" else None
            implicit.update(_api_children(implicit[name], stage))
    return {k: v for k, v in implicit.items() if k not in resources}


def _machine_api(machine: RawResource) -> bool:
    events = machine.properties.get("Events")
    return any(
        isinstance(event, dict)
        and event.get("Type") == "Api"
        and "RestApiId" not in (event.get("Properties") or {})
        for event in (events.values() if isinstance(events, dict) else ())
    )


def _made(logical_id: str, kind: str, properties: Mapping[str, Any]) -> RawResource:
    return RawResource(logical_id, kind, properties, properties, implicit=True)


def _api_children(api: RawResource, stage: Any = None) -> dict[str, RawResource]:
    """The stage and deployment SAM generates for an API, which templates !Ref
    (``<Api><StageName>Stage``, ``<Api>Deployment``, ``<Api>ApiGatewayDefaultStage``)."""
    if api.type == "AWS::Serverless::Api":
        stage = api.properties.get("StageName", stage)
        found = {
            f"{api.logical_id}Deployment": _made(
                f"{api.logical_id}Deployment", "AWS::ApiGateway::Deployment", {}
            )
        }
        if isinstance(stage, str):
            name = f"{api.logical_id}{stage}Stage"
            found[name] = _made(name, "AWS::ApiGateway::Stage", {"StageName": stage})
        return found
    if api.type == "AWS::Serverless::HttpApi":
        stage = api.properties.get("StageName", "$default")
        name = f"{api.logical_id}ApiGatewayDefaultStage"
        return {name: _made(name, "AWS::ApiGatewayV2::Stage", {"StageName": stage})}
    return {}
