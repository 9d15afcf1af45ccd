"""``serverlite up --cdk cdk.out``: the CloudFormation template ``cdk synth`` wrote.

A cloud assembly's ``manifest.json`` lists its artifacts; a stack is one of type
``aws:cloudformation:stack`` whose ``properties.templateFile`` names its template, next
to which ``cdk synth`` staged each function's code (``asset.<hash>/``, named by the
resource's ``aws:asset:path`` metadata). The path may also be one ``*.template.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from serverlite.errors import ConfigError

STACK_ARTIFACT = "aws:cloudformation:stack"


def cdk_template(path: Path, stack: str | None = None) -> Path:
    """The template of ``stack`` (or of the only stack) in the cloud assembly at ``path``."""
    if path.is_file():
        return path
    manifest_path = path / "manifest.json"
    if not manifest_path.is_file():
        raise ConfigError(f"--cdk {path}: no manifest.json (run `cdk synth` first)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--cdk {path}: cannot read manifest.json: {exc}") from exc
    artifacts = manifest.get("artifacts") if isinstance(manifest, dict) else None
    stacks = {
        name: body
        for name, body in (artifacts.items() if isinstance(artifacts, dict) else ())
        if isinstance(body, dict) and body.get("type") == STACK_ARTIFACT
    }
    if stack is not None:
        chosen = {k: v for k, v in stacks.items() if stack in (k, v.get("displayName"))}
    else:
        chosen = stacks
    if len(chosen) != 1:
        names = ", ".join(stacks) or "none"
        what = f"no stack {stack!r}" if stack else "more than one stack"
        if not stacks:
            what = "no stack"
        raise ConfigError(
            f"--cdk {path}: {what} in the cloud assembly (stacks: {names}); "
            "name one with --cdk-stack"
        )
    (body,) = chosen.values()
    template = body.get("properties", {}).get("templateFile")
    if not isinstance(template, str) or not (path / template).is_file():
        raise ConfigError(f"--cdk {path}: the stack's template {template!r} is missing")
    return path / template
