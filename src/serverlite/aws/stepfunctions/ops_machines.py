"""State machines: Create / Update / Describe / List / Delete, definitions checked,
tags, and ValidateStateMachineDefinition."""

from __future__ import annotations

import uuid
from typing import Any

from serverlite.aws.backend import AwsError

from . import names
from .asl import validate
from .context import SfnContext, page, required
from .store import Machine

TYPES = ("STANDARD", "EXPRESS")
MAX_TAGS = 50


def check_definition(text: Any) -> dict[str, Any]:
    if not isinstance(text, str):
        raise AwsError("InvalidDefinition", "Invalid State Machine Definition: 'definition'")
    try:
        return validate.parse(text)
    except validate.InvalidDefinition as exc:
        raise AwsError("InvalidDefinition", str(exc)) from exc


def _extra(body: dict[str, Any], current: dict[str, Any] | None = None) -> dict[str, Any]:
    extra = dict(current or {})
    for field in ("loggingConfiguration", "tracingConfiguration", "encryptionConfiguration"):
        if field in body:
            extra[field] = body[field]
    extra.setdefault("loggingConfiguration", {"level": "OFF", "includeExecutionData": False})
    extra.setdefault("tracingConfiguration", {"enabled": False})
    return extra


def _tags(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, list) or len(raw) > MAX_TAGS:
        raise AwsError("TooManyTags", f"Too many tags: at most {MAX_TAGS}")
    return {str(t.get("key", "")): str(t.get("value", "")) for t in raw if isinstance(t, dict)}


def create_state_machine(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    name = names.check_name(required(body, "name"))
    definition = required(body, "definition")
    role = required(body, "roleArn")
    kind = body.get("type", "STANDARD")
    if kind not in TYPES:
        raise AwsError(
            "ValidationException",
            f"1 validation error detected: Value '{kind}' at 'type' failed to satisfy "
            "constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]",
        )
    check_definition(definition)
    arn = ctx.arns.machine(name)
    existing = ctx.db.machine(arn)
    extra = _extra(body)
    if existing is not None:
        # AWS: the same name with the same definition, role and type is idempotent.
        if (existing.definition, existing.role_arn, existing.type) == (definition, role, kind):
            return {"stateMachineArn": arn, "creationDate": existing.created}
        raise AwsError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
    now = ctx.clock.now()
    machine = Machine(arn, name, definition, str(role), kind, now, now, str(uuid.uuid4()), extra)
    ctx.db.put_machine(machine)
    tags = _tags(body.get("tags"))
    if tags:
        ctx.db.put_tags(arn, tags)
    return {"stateMachineArn": arn, "creationDate": now}


def update_state_machine(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    arn = names.machine_arn(required(body, "stateMachineArn"))
    machine = ctx.machine(arn)
    if not any(
        f in body for f in ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")
    ):
        raise AwsError(
            "MissingRequiredParameter",
            "Either the definition, the role ARN, the LoggingConfiguration, or the "
            "TracingConfiguration must be specified",
        )
    definition = body.get("definition", machine.definition)
    check_definition(definition)
    now = ctx.clock.now()
    updated = Machine(
        arn,
        machine.name,
        definition,
        str(body.get("roleArn", machine.role_arn)),
        machine.type,
        machine.created,
        now,
        str(uuid.uuid4()),
        _extra(body, machine.extra),
    )
    ctx.db.put_machine(updated)
    return {"updateDate": now, "revisionId": updated.revision}


def describe(machine: Machine) -> dict[str, Any]:
    return {
        "stateMachineArn": machine.arn,
        "name": machine.name,
        "status": "ACTIVE",
        "definition": machine.definition,
        "roleArn": machine.role_arn,
        "type": machine.type,
        "creationDate": machine.created,
        "revisionId": machine.revision,
        **{k: v for k, v in machine.extra.items() if k.endswith("Configuration")},
    }


def describe_state_machine(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    arn = names.machine_arn(required(body, "stateMachineArn"))
    return describe(ctx.machine(arn))


def list_state_machines(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    listed = [
        {"stateMachineArn": m.arn, "name": m.name, "type": m.type, "creationDate": m.created}
        for m in ctx.db.machines()
    ]
    chunk, token = page(body, listed)
    out: dict[str, Any] = {"stateMachines": chunk}
    if token:
        out["nextToken"] = token
    return out


def delete_state_machine(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    arn = names.machine_arn(required(body, "stateMachineArn"))
    # AWS: deleting an unknown machine succeeds; running executions go on to their end.
    ctx.db.delete_machine(arn)
    return {}


def validate_state_machine_definition(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    text = required(body, "definition")
    try:
        validate.parse(text)
    except validate.InvalidDefinition as exc:
        diagnostics = []
        for problem in exc.problems:
            code, _, rest = problem.partition(": ")
            message, _, location = rest.rpartition(" at ")
            diagnostics.append(
                {"severity": "ERROR", "code": code, "message": message, "location": location}
            )
        return {"result": "FAIL", "diagnostics": diagnostics, "truncated": False}
    return {"result": "OK", "diagnostics": [], "truncated": False}


# -- tags ----------------------------------------------------------------------------------


def _tagged(ctx: SfnContext, arn: Any) -> str:
    kind = names.resource_kind(arn)
    if kind not in ("stateMachine", "activity"):
        raise AwsError("InvalidArn", f"Invalid Arn: '{arn}'")
    if kind == "stateMachine" and ctx.db.machine(str(arn)) is None:
        raise AwsError("ResourceNotFound", f"Resource not found: '{arn}'")
    return str(arn)


def tag_resource(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    arn = _tagged(ctx, required(body, "resourceArn"))
    tags = _tags(required(body, "tags"))
    if len({**ctx.db.tags(arn), **tags}) > MAX_TAGS:
        raise AwsError("TooManyTags", f"Too many tags: at most {MAX_TAGS}", resourceName=arn)
    ctx.db.put_tags(arn, tags)
    return {}


def untag_resource(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    arn = _tagged(ctx, required(body, "resourceArn"))
    ctx.db.remove_tags(arn, [str(k) for k in required(body, "tagKeys")])
    return {}


def list_tags_for_resource(ctx: SfnContext, body: dict[str, Any]) -> dict[str, Any]:
    arn = _tagged(ctx, required(body, "resourceArn"))
    return {"tags": [{"key": k, "value": v} for k, v in ctx.db.tags(arn).items()]}
