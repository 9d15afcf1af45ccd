"""AWS::Serverless::LayerVersion and AWS::Lambda::LayerVersion -> LayerSpec."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from serverlite.errors import TemplateError, TemplateErrors

from .code_archives import unpacked
from .model import LayerSpec
from .raw_resources import RawResource
from .stack import Stack

LAYER_TYPES = {
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Lambda::LayerVersion": "Content",
}


def local_code_path(stack: Stack, value: Any, path: str, what: str) -> Path:
    """A code location that must be a local directory, relative to the template."""
    stack.require_value(value, path)
    if isinstance(value, dict) or (isinstance(value, str) and value.startswith("s3://")):
        raise stack.error(
            path,
            f"{what} points at S3; serverlite runs only local code: "
            f"set {what} to a directory relative to the template",
        )
    if not isinstance(value, str) or not value:
        raise stack.error(path, f"{what} must be a local directory path")
    location = (stack.template_file.parent / value).resolve()
    if location.is_file() and location.suffix == ".zip":
        import zipfile  # a template with archives only: not at every start

        try:
            return unpacked(location)
        except (OSError, zipfile.BadZipFile) as exc:
            raise stack.error(path, f"cannot unpack {value}: {exc}") from exc
    if location.is_file() and location.suffix == ".py":
        # SAM packages a single file as the root of the function's zip; here its
        # directory is the code directory, so the module imports by its name.
        return location.parent
    return location


def build_layer(stack: Stack, resource: RawResource) -> LayerSpec:
    logical_id = resource.logical_id
    props = stack.properties(logical_id)
    key = LAYER_TYPES[resource.type]
    path = f"Resources.{logical_id}.Properties.{key}"
    errors: list[TemplateError] = []
    content_dir = Path()
    try:
        content_dir = local_code_path(stack, props.get(key), path, key)
        if not content_dir.is_dir():
            errors.append(stack.error(path, f"layer directory not found: {props.get(key)}"))
    except TemplateError as exc:
        errors.append(exc)
    runtimes = props.get("CompatibleRuntimes") or []
    if not isinstance(runtimes, list) or not all(isinstance(r, str) for r in runtimes):
        errors.append(
            stack.error(
                f"Resources.{logical_id}.Properties.CompatibleRuntimes",
                "must be a list of runtimes",
            )
        )
        runtimes = []
    build_method = (resource.metadata or {}).get("BuildMethod")
    if build_method is not None and not isinstance(build_method, str):
        errors.append(
            stack.error(f"Resources.{logical_id}.Metadata.BuildMethod", "must be a string")
        )
        build_method = None
    if errors:
        raise TemplateErrors(errors)
    arn = stack.ref(logical_id, f"Resources.{logical_id}")
    parts = str(arn).split(":")
    name = parts[6] if len(parts) > 6 else logical_id
    return LayerSpec(
        logical_id=logical_id,
        stack_path=stack.path,
        name=name,
        arn=str(arn),
        content_dir=content_dir,
        compatible_runtimes=tuple(runtimes),
        build_method=build_method,
    )
