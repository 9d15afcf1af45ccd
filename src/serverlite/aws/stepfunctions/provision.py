"""The template's state machines, made to exist at start (idempotently).

    AWS::Serverless::StateMachine     Definition | DefinitionUri (a local file, JSON or
                                      YAML), DefinitionSubstitutions, Name, Type, Role /
                                      Policies, Logging, Tracing, Tags
    AWS::StepFunctions::StateMachine  Definition | DefinitionString |
                                      DefinitionS3Location (a local path in Key, or Bucket
                                      / Key of the local S3), DefinitionSubstitutions,
                                      StateMachineName, StateMachineType, RoleArn,
                                      LoggingConfiguration, TracingConfiguration, Tags

``${Name}`` in the definition's strings is replaced by ``DefinitionSubstitutions``, as
CloudFormation does. A definition that Step Functions would refuse stops the start with
AWS's message. A machine the template declares again unchanged is left as it was (a
restart keeps its revision); a changed declaration updates it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import yaml

from serverlite.aws import backend
from serverlite.errors import TemplateError
from serverlite.template.intrinsics import to_cfn_string
from serverlite.template.model import Application, ResourceSpec

from .asl import validate
from .context import SfnContext
from .store import Machine

log = logging.getLogger("serverlite.stepfunctions")
TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def apply(ctx: SfnContext, app: Application) -> list[backend.ProvisionedResource]:
    lines = []
    for resource in app.resources:
        if resource.type in TYPES:
            lines.append(_provision(ctx, app, resource))
    return lines


def _provision(
    ctx: SfnContext, app: Application, resource: ResourceSpec
) -> backend.ProvisionedResource:
    sam = resource.type == "AWS::Serverless::StateMachine"
    props = resource.properties
    arn = resource.physical_id
    name = arn.rsplit(":", 1)[1]
    definition = _substitute(
        _definition(app, resource, sam), props.get("DefinitionSubstitutions") or {}
    )
    text = json.dumps(definition, indent=2)
    try:
        validate.parse(text)
    except validate.InvalidDefinition as exc:
        raise _error(app, resource, str(exc)) from exc
    kind = str(props.get("Type" if sam else "StateMachineType") or "STANDARD")
    if kind not in ("STANDARD", "EXPRESS"):
        raise _error(app, resource, f"Type must be STANDARD or EXPRESS, got {kind!r}")
    role = props.get("Role" if sam else "RoleArn")
    role_arn = str(role) if role else f"arn:aws:iam::{app.account_id}:role/{name}Role"
    extra: dict[str, Any] = {
        "loggingConfiguration": props.get("Logging" if sam else "LoggingConfiguration")
        or {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": props.get("Tracing" if sam else "TracingConfiguration")
        or {"enabled": False},
    }
    fingerprint = hashlib.sha256(
        json.dumps([text, role_arn, kind, extra], sort_keys=True, default=str).encode()
    ).hexdigest()[:32]
    current = ctx.db.machine(arn)
    detail = f"{kind.lower()}, {len(definition.get('States', {}))} states"
    unserved = _unserved_events(props.get("Events") if sam else None)
    if unserved:
        detail += f"; not emulated: {unserved}"
        log.warning("state machine %s: %s events are not emulated", name, unserved)
    if current is not None and ctx.db.fingerprint(arn) == fingerprint:
        return backend.ProvisionedResource("stepfunctions", "state machine", name, detail)
    now = ctx.clock.now()
    created = current.created if current is not None else now
    machine = Machine(arn, name, text, role_arn, kind, created, now, str(uuid.uuid4()), extra)
    ctx.db.put_machine(machine, fingerprint)
    tags = _tags(props.get("Tags"))
    if tags:
        ctx.db.put_tags(arn, tags)
    return backend.ProvisionedResource("stepfunctions", "state machine", name, detail)


# SAM event types that become EventBridge rules and schedules (events/provision.py),
# and Api: a REST route whose integration starts an execution (gateway/discovery.py).
SERVED_EVENTS = ("EventBridgeRule", "CloudWatchEvent", "Schedule", "ScheduleV2", "Api")


def _unserved_events(events: Any) -> str:
    """The SAM events of a state machine that serverlite does not run, named for the
    startup table."""
    if not isinstance(events, dict):
        return ""
    return ", ".join(
        f"{name} ({spec.get('Type')})"
        for name, spec in events.items()
        if isinstance(spec, dict) and spec.get("Type") not in SERVED_EVENTS
    )


def _definition(app: Application, resource: ResourceSpec, sam: bool) -> dict[str, Any]:
    props = resource.properties
    if isinstance(props.get("Definition"), dict):
        return dict(props["Definition"])
    if not sam and isinstance(props.get("DefinitionString"), str):
        try:
            loaded = json.loads(props["DefinitionString"])
        except ValueError as exc:
            raise _error(app, resource, f"DefinitionString is not JSON: {exc}") from exc
        return _object(app, resource, loaded)
    location = props.get("DefinitionUri" if sam else "DefinitionS3Location")
    if isinstance(location, dict):
        location = location.get("Key")
    if isinstance(location, str) and location:
        path = Path(location)
        if not path.is_absolute():
            path = _stack_dir(app, resource) / path
        try:
            text = path.read_text()
        except OSError as exc:
            raise _error(
                app,
                resource,
                f"cannot read the definition {path}: {exc.strerror} (serverlite reads a "
                "local file; an S3 location is read from its Key as a path)",
            ) from exc
        return _object(app, resource, yaml.safe_load(text))
    field = "Definition or DefinitionUri" if sam else "Definition, DefinitionString or "
    raise _error(app, resource, f"needs {field}{'' if sam else 'DefinitionS3Location'}")


def _object(app: Application, resource: ResourceSpec, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _error(app, resource, "the definition must be a JSON object")
    return value


def _substitute(value: Any, substitutions: Any) -> Any:
    if not isinstance(substitutions, dict) or not substitutions:
        return value
    if isinstance(value, str):
        return _VARIABLE.sub(
            lambda m: (
                to_cfn_string(substitutions[m.group(1)]) or json.dumps(substitutions[m.group(1)])
                if m.group(1) in substitutions
                else m.group(0)
            ),
            value,
        )
    if isinstance(value, dict):
        return {
            _substitute(k, substitutions): _substitute(v, substitutions) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_substitute(item, substitutions) for item in value]
    return value


def _tags(raw: Any) -> dict[str, str]:
    if isinstance(raw, dict):  # SAM: a map
        return {str(k): to_cfn_string(v) or "" for k, v in raw.items()}
    if isinstance(raw, list):  # CloudFormation: [{Key, Value}]
        return {str(t.get("Key")): str(t.get("Value", "")) for t in raw if isinstance(t, dict)}
    return {}


def _stack_dir(app: Application, resource: ResourceSpec) -> Path:
    stack = next(s for s in app.root.walk() if s.path == resource.stack_path)
    return Path(stack.template_file).parent


def _error(app: Application, resource: ResourceSpec, message: str) -> TemplateError:
    stack = next(s for s in app.root.walk() if s.path == resource.stack_path)
    return TemplateError(str(stack.template_file), f"Resources.{resource.logical_id}", message)
